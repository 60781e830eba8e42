-- Run by the ClickHouse image on a replica's first start (/docker-entrypoint-initdb.d): the database
-- Teamflow uses, with the Replicated engine, before any Teamflow process opens it (the store's own
-- CREATE DATABASE IF NOT EXISTS then finds it). Tables created in it are replicated to every replica.
CREATE DATABASE IF NOT EXISTS teamflow ENGINE = Replicated('/clickhouse/databases/teamflow', '{shard}', '{replica}');
