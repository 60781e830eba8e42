"""The fold out of Kafka: the worker's Faust app and its fold loop, the prepare step (decode, erase,
encode) in its own processes, the sink that writes to the store, replay over log spans, and the
worker's status and consumer lag."""
