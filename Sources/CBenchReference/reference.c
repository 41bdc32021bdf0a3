#include "bench_reference.h"
#include <sqlite3.h>
#include <stdio.h>

int bench_reference_insert(const char *path, int channels, int minutes, int64_t start, int batch_rows) {
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return 1;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", 0, 0, 0);
    sqlite3_exec(db,
        "CREATE TABLE IF NOT EXISTS minute(ts INTEGER NOT NULL, channel INTEGER NOT NULL, value REAL NOT NULL,"
        " cum INTEGER, hwm INTEGER, PRIMARY KEY(ts, channel)) WITHOUT ROWID;", 0, 0, 0);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO minute(ts, channel, value, cum, hwm) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, 0) != SQLITE_OK) return 2;
    long rows = 0;
    sqlite3_exec(db, "BEGIN", 0, 0, 0);
    for (int m = 0; m < minutes; m++) {
        int64_t ts = start + (int64_t)m * 60;
        for (int c = 1; c <= channels; c++) {
            // Odd channels are counters (value and cumulative steps), even ones gauges.
            double v = (c % 2) ? 1000.0 + m * 0.01 * c : (double)((m * 7 + c) % 1000);
            sqlite3_bind_int64(st, 1, ts);
            sqlite3_bind_int64(st, 2, c);
            sqlite3_bind_double(st, 3, v);
            if (c % 2) sqlite3_bind_int64(st, 4, (int64_t)(v * 1000 + 0.5)); else sqlite3_bind_null(st, 4);
            sqlite3_bind_null(st, 5);
            if (sqlite3_step(st) != SQLITE_DONE) return 3;
            sqlite3_reset(st);
            if (++rows % batch_rows == 0) {
                sqlite3_exec(db, "COMMIT", 0, 0, 0);
                sqlite3_exec(db, "BEGIN", 0, 0, 0);
            }
        }
    }
    sqlite3_exec(db, "COMMIT", 0, 0, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}
