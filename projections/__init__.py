"""What each projection means: pure row mappers, the ClickHouse schema, metric queries and the store.

Imports `schemas` only; never faust, kafka or dash (a unit test keeps it that way).
"""
