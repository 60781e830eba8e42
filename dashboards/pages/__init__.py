"""The dashboard pages: each module has `PATH`, `layout(user, store, query)` and `register(app, store)`.

Each page splits its work into `fetch(store, ...)` (query functions of `projections` only) and
`render(data, user)` (pure: figure builders and texts), so the benchmark and the unit tests
can call either part alone.
"""
