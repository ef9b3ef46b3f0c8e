// What SQLite alone costs to insert one call card, for the layout `interactions` has and for others it could have:
// the store's part that no code of ours can take away, and what a change of schema would buy back.
//
// Each layout gets a new WAL database in the directory given, with the store's pragmas, and the same cards written
// as the store writes them: 16 rows a statement, keys ascending, a commit every 2,560 rows (25 ms at 100,000
// contacts/s), SQLite's own checkpoints. A parameter is bound only when its value changes, as `DirectStatement`
// does, so the tenant, channel, queues and the NULLs of an anonymous caller are bound once. The figures are the
// process's CPU (user and system) per row, the database's pages, and the bytes a row takes in them.
//
//   bench/row-layouts.sh [rows]    (compiles this file; see bench/README.md, "Session 37")
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { rowsPerStatement = 16, statementsPerCommit = 160, maxColumns = 30 };

// The contacts of `acd-bench e2e`: one tenant, one voice queue, anonymous callers, 200 agents, no wrap-up.
typedef struct {
    long long cardID, receivedAt;
    int agent;
} Card;

typedef struct {
    const char *name;
    const char *what;
    const char *schema;
    int columns;
    // Binds card `card` as row `row` (parameters from row * columns + 1); `first` on the statement's first run.
    void (*bind)(sqlite3_stmt *, int base, const Card *card, int first);
} Layout;

static char agentNames[200][16];

#define INT(k, v) sqlite3_bind_int64(s, base + (k), (v))
#define ONCE_INT(k, v) if (first) sqlite3_bind_int64(s, base + (k), (v))
#define ONCE_TEXT(k, v) if (first) sqlite3_bind_text(s, base + (k), (v), -1, SQLITE_STATIC)
#define ONCE_NULL(k) if (first) sqlite3_bind_null(s, base + (k))

// The 30 columns of the v3 `interactions` table, in its order.
static void bindCurrent(sqlite3_stmt *s, int base, const Card *c, int first) {
    long long t = c->receivedAt;
    INT(1, c->cardID); ONCE_INT(2, 7361929364512345678LL); INT(3, c->cardID & 0xFFFFFFFF); ONCE_NULL(4);
    ONCE_TEXT(5, "bench"); ONCE_TEXT(6, "voice"); ONCE_TEXT(7, "calls"); ONCE_TEXT(8, "calls");
    ONCE_NULL(9); ONCE_NULL(10); ONCE_NULL(11); ONCE_INT(12, 0); ONCE_NULL(13); ONCE_NULL(14);
    INT(15, t); INT(16, t + 1); INT(17, t + 2); INT(18, t + 40); INT(19, t + 40);
    sqlite3_bind_text(s, base + 20, agentNames[c->agent], -1, SQLITE_STATIC);
    ONCE_INT(21, 1); INT(22, 38 + c->agent % 7); ONCE_INT(23, 0); ONCE_TEXT(24, "completed");
    ONCE_INT(25, 1); ONCE_INT(26, 0); ONCE_INT(27, 0); ONCE_INT(28, 0); ONCE_NULL(29); INT(30, c->cardID * 9);
}

// As `bindCurrent`, with SQLite choosing each row's key: the seek that checks a key of ours is free goes.
static void bindAutoKey(sqlite3_stmt *s, int base, const Card *c, int first) {
    bindCurrent(s, base, c, first);
    sqlite3_bind_null(s, base + 1);
}

// `call_cards` (migration v4): texts of few values as numbers into `card_names`, times after the first as offsets
// from `received_at`, no `stream_id` and `contact_id` (both are in the key): 28 columns.
static void bindCompact(sqlite3_stmt *s, int base, const Card *c, int first) {
    INT(1, c->cardID); ONCE_NULL(2); ONCE_INT(3, 1); ONCE_INT(4, 2); ONCE_INT(5, 3); ONCE_INT(6, 3);
    ONCE_NULL(7); ONCE_NULL(8); ONCE_NULL(9); ONCE_INT(10, 0); ONCE_NULL(11); ONCE_NULL(12);
    INT(13, c->receivedAt); ONCE_INT(14, 1); ONCE_INT(15, 2); ONCE_INT(16, 40); ONCE_INT(17, 40);
    INT(18, 10 + c->agent); ONCE_INT(19, 1); INT(20, 38 + c->agent % 7); ONCE_INT(21, 0); ONCE_INT(22, 4);
    ONCE_INT(23, 1); ONCE_INT(24, 0); ONCE_INT(25, 0); ONCE_INT(26, 0); ONCE_NULL(27); INT(28, c->cardID * 9);
}

// `bindCompact`, and the nine columns an anonymous voice call leaves NULL or 0 in one text column: 19 columns.
static void bindNarrow(sqlite3_stmt *s, int base, const Card *c, int first) {
    INT(1, c->cardID); ONCE_INT(2, 1); ONCE_INT(3, 3); ONCE_INT(4, 3); ONCE_NULL(5); ONCE_INT(6, 0);
    INT(7, c->receivedAt); ONCE_INT(8, 1); ONCE_INT(9, 2); ONCE_INT(10, 40); ONCE_INT(11, 40);
    INT(12, 10 + c->agent); ONCE_INT(13, 1); INT(14, 38 + c->agent % 7); ONCE_INT(15, 0); ONCE_INT(16, 4);
    ONCE_INT(17, 1); INT(18, c->cardID * 9); ONCE_NULL(19);
}

#define INDEXES \
    " CREATE INDEX interactions_customer ON interactions(customer_id, received_at) WHERE customer_id IS NOT NULL;" \
    " CREATE INDEX interactions_received ON interactions(received_at);"

#define CURRENT_TABLE \
    "CREATE TABLE interactions (card_id INTEGER PRIMARY KEY, stream_id INTEGER NOT NULL, contact_id INTEGER NOT NULL," \
    " external_id TEXT, tenant TEXT NOT NULL, channel TEXT NOT NULL, first_queue TEXT NOT NULL, queue TEXT NOT NULL," \
    " customer_id TEXT, customer_tier TEXT, language TEXT, priority INTEGER NOT NULL DEFAULT 0, ivr_data TEXT," \
    " callback_number TEXT, received_at INTEGER NOT NULL, first_offered_at INTEGER, answered_at INTEGER," \
    " ended_at INTEGER, wrap_up_ended_at INTEGER, agent_id TEXT, wait_ms INTEGER, talk_ms INTEGER, wrap_up_ms INTEGER," \
    " outcome TEXT, offers INTEGER NOT NULL DEFAULT 0, offers_declined INTEGER NOT NULL DEFAULT 0," \
    " offers_missed INTEGER NOT NULL DEFAULT 0, overflows INTEGER NOT NULL DEFAULT 0, overflowed_to TEXT," \
    " events_through INTEGER);"

static const Layout layouts[] = {
    {"current", "interactions as migrations v1-v3 leave it", CURRENT_TABLE INDEXES, 30, bindCurrent},
    {"untyped", "the same columns without declared types or NOT NULL",
     "CREATE TABLE interactions (card_id INTEGER PRIMARY KEY, stream_id, contact_id, external_id, tenant, channel,"
     " first_queue, queue, customer_id, customer_tier, language, priority, ivr_data, callback_number, received_at,"
     " first_offered_at, answered_at, ended_at, wrap_up_ended_at, agent_id, wait_ms, talk_ms, wrap_up_ms, outcome,"
     " offers, offers_declined, offers_missed, overflows, overflowed_to, events_through);" INDEXES,
     30, bindCurrent},
    {"auto-key", "current, the key chosen by SQLite", CURRENT_TABLE INDEXES, 30, bindAutoKey},
    {"compact-typed", "compact, with declared types",
     "CREATE TABLE interactions (card_id INTEGER PRIMARY KEY, external_id TEXT, tenant_name INTEGER,"
     " channel_name INTEGER, first_queue_name INTEGER, queue_name INTEGER, customer_id TEXT,"
     " customer_tier_name INTEGER, language_name INTEGER, priority INTEGER, ivr_data TEXT, callback_number TEXT,"
     " received_at INTEGER, first_offered_after INTEGER, answered_after INTEGER, ended_after INTEGER,"
     " wrap_up_ended_after INTEGER, agent_name INTEGER, wait_ms INTEGER, talk_ms INTEGER, wrap_up_ms INTEGER,"
     " outcome_name INTEGER, offers INTEGER, offers_declined INTEGER, offers_missed INTEGER, overflows INTEGER,"
     " overflowed_to_name INTEGER, events_through INTEGER);" INDEXES,
     28, bindCompact},
    {"compact", "call_cards as migration v4 makes it: names as numbers, times as offsets, untyped",
     "CREATE TABLE interactions (card_id INTEGER PRIMARY KEY, external_id, tenant_name, channel_name,"
     " first_queue_name, queue_name, customer_id, customer_tier_name, language_name, priority, ivr_data,"
     " callback_number, received_at, first_offered_after, answered_after, ended_after, wrap_up_ended_after,"
     " agent_name, wait_ms, talk_ms, wrap_up_ms, outcome_name, offers, offers_declined, offers_missed, overflows,"
     " overflowed_to_name, events_through);" INDEXES,
     28, bindCompact},
    {"no-time-index", "compact without its index on received_at: what that index costs",
     "CREATE TABLE interactions (card_id INTEGER PRIMARY KEY, external_id, tenant_name, channel_name,"
     " first_queue_name, queue_name, customer_id, customer_tier_name, language_name, priority, ivr_data,"
     " callback_number, received_at, first_offered_after, answered_after, ended_after, wrap_up_ended_after,"
     " agent_name, wait_ms, talk_ms, wrap_up_ms, outcome_name, offers, offers_declined, offers_missed, overflows,"
     " overflowed_to_name, events_through);"
     " CREATE INDEX interactions_customer ON interactions(customer_id, received_at) WHERE customer_id IS NOT NULL;",
     28, bindCompact},
    {"narrow", "compact-typed, the rarely set columns in one text column",
     "CREATE TABLE interactions (card_id INTEGER PRIMARY KEY, tenant_channel INTEGER, first_queue INTEGER,"
     " queue INTEGER, customer_id TEXT, priority INTEGER, received_at INTEGER, first_offered_in INTEGER,"
     " answered_in INTEGER, ended_in INTEGER, wrap_up_ended_in INTEGER, agent_id INTEGER, wait_ms INTEGER,"
     " talk_ms INTEGER, wrap_up_ms INTEGER, outcome INTEGER, offers INTEGER, events_through INTEGER, extras TEXT);"
     INDEXES,
     19, bindNarrow},
};

static void run(sqlite3 *db, const char *sql) {
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, error);
        exit(1);
    }
}

static double cpuSeconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static void measure(const Layout *layout, const char *directory, long rows) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.sqlite", directory, layout->name);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char file[4200];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) { fprintf(stderr, "cannot open %s\n", path); exit(1); }
    run(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    run(db, layout->schema);

    char sql[40000];
    int length = snprintf(sql, sizeof sql, "INSERT OR ROLLBACK INTO interactions VALUES ");
    for (int row = 0; row < rowsPerStatement; row++) {
        length += snprintf(sql + length, sizeof sql - length, row ? ", (" : "(");
        for (int column = 1; column <= layout->columns; column++)
            length += snprintf(sql + length, sizeof sql - length, "%s?%d", column > 1 ? ", " : "",
                               row * layout->columns + column);
        length += snprintf(sql + length, sizeof sql - length, ")");
    }
    sqlite3_stmt *insert;
    if (sqlite3_prepare_v2(db, sql, -1, &insert, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s\n", sqlite3_errmsg(db));
        exit(1);
    }

    double start = cpuSeconds();
    long statements = 0;
    for (long next = 1; next + rowsPerStatement - 1 <= rows; next += rowsPerStatement, statements++) {
        if (statements % statementsPerCommit == 0) run(db, "BEGIN");
        for (int row = 0; row < rowsPerStatement; row++) {
            long contact = next + row;
            Card card = {(1LL << 40) | contact, 1764930000000LL + contact * 7, (int)(contact % 200)};
            layout->bind(insert, row * layout->columns, &card, statements == 0);
        }
        if (sqlite3_step(insert) != SQLITE_DONE) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); exit(1); }
        sqlite3_reset(insert);
        if (statements % statementsPerCommit == statementsPerCommit - 1) run(db, "COMMIT");
    }
    if (statements % statementsPerCommit != 0) run(db, "COMMIT");
    double seconds = cpuSeconds() - start;
    long written = statements * rowsPerStatement;

    sqlite3_stmt *pages;
    sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &pages, NULL);
    sqlite3_step(pages);
    long long pageCount = sqlite3_column_int64(pages, 0);
    sqlite3_finalize(pages);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    printf("%-13s %6.3f us CPU a row  %7lld pages  %5.1f bytes a row   (%s)\n", layout->name, seconds * 1e6 / written,
           pageCount, pageCount * 4096.0 / written, layout->what);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DIRECTORY ROWS [LAYOUT...]\n", argv[0]);
        return 2;
    }
    for (int agent = 0; agent < 200; agent++) snprintf(agentNames[agent], sizeof agentNames[agent], "agent-%04d", agent);
    long rows = atol(argv[2]);
    int count = (int)(sizeof layouts / sizeof layouts[0]);
    for (int i = 0; i < count; i++) {
        int wanted = argc == 3;
        for (int a = 3; a < argc; a++) wanted |= strcmp(argv[a], layouts[i].name) == 0;
        if (wanted) measure(&layouts[i], argv[1], rows);
    }
    return 0;
}
