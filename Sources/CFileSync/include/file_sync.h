#ifndef STRATA_FILE_SYNC_H
#define STRATA_FILE_SYNC_H

/// syncfs(2): flushes the file system holding `fd` in one journal commit. Glibc declares it
/// only under _GNU_SOURCE, which Swift's Glibc module does not define.
int strata_syncfs(int fd);

/// Starts writing `fd`'s dirty pages to the device without waiting for them
/// (sync_file_range(2) with SYNC_FILE_RANGE_WRITE), so that a later flush finds little left.
/// Durability still comes from the flush; this only overlaps the disk with the CPU.
int strata_start_writeback(int fd);

#endif
