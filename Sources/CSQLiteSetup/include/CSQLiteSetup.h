#ifndef CSQLITESETUP_H
#define CSQLITESETUP_H

/// Configures SQLite for this process before it opens its first database: multi-thread mode (each connection is
/// used by one thread at a time, which GRDB guarantees, so SQLite's per-connection mutexes are not needed) and no
/// memory statistics (their global mutex is taken on every allocation). Returns SQLITE_OK, or SQLITE_MISUSE when
/// SQLite was already initialized and the settings could not be changed. `sqlite3_config` is variadic, which
/// Swift cannot call.
int acd_sqlite_configure(void);

#endif
