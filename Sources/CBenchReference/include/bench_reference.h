#ifndef STRATA_BENCH_REFERENCE_H
#define STRATA_BENCH_REFERENCE_H
#include <stdint.h>

/// The reference for the ingest benchmark: the same rows as Strata's minute tier stores, into
/// the same schema, through one prepared statement in batched transactions, in plain C.
/// Returns 0 on success.
int bench_reference_insert(const char *path, int channels, int minutes, int64_t start, int batch_rows);

#endif
