// LMDB (Debian liblmdb-dev) for Swift: rosinality's dataset files are LMDB environments.
//
// Every function returns a clmdb_status and, on failure, writes a one-line message (no path) into the
// caller's buffer. LMDB ends the process with abort() when one of its internal checks fails on a damaged
// file; this library installs a handler that jumps back out of LMDB instead, reports CLMDB_ERR_DAMAGED and
// refuses every later call on that environment. Nothing is ever printed.
#ifndef CLMDB_H
#define CLMDB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CLMDB_OK = 0,
    CLMDB_NOT_FOUND,    // no such key (get), or no key after the given one (next_key)
    CLMDB_ERR_OPEN,     // the path cannot be opened: missing, no permission, not a folder or file
    CLMDB_ERR_INVALID,  // not an LMDB file, another LMDB version, or pages past the end of the file
    CLMDB_ERR_DAMAGED,  // LMDB found the file corrupted (or an internal check failed) while reading it
    CLMDB_ERR_FULL,     // the writer's map size is too small for the data put
    CLMDB_ERR_STATE,    // a call out of order: put after commit, a write on a read-only environment
    CLMDB_ERR_OTHER,
} clmdb_status;

typedef struct clmdb_env clmdb_env;

// Opens an environment read-only without a lock file, as rosinality's dataset does (readonly, lock=False,
// readahead=False): `path` is its folder (holding data.mdb) or the data file itself. Many threads may read
// at once; no process may write the environment while it is open.
clmdb_status clmdb_open_read(const char *path, clmdb_env **out, char *message, size_t message_size);

// Creates an environment in the existing folder `path` for writing, reserving `map_size` bytes of address
// space (the largest the data may grow; the file only takes what is written). Opens one write transaction:
// puts go into it and become visible only with clmdb_commit.
clmdb_status clmdb_create(const char *path, uint64_t map_size, clmdb_env **out, char *message,
                          size_t message_size);

// Copies the value stored under `key` into a malloc'd buffer; release it with clmdb_free.
clmdb_status clmdb_get(clmdb_env *env, const void *key, size_t key_size, void **value, size_t *value_size,
                       char *message, size_t message_size);

// The first key (bytewise order) strictly after `after` (the very first key when `after` is NULL), copied
// into a malloc'd buffer; CLMDB_NOT_FOUND past the last key. Release it with clmdb_free.
clmdb_status clmdb_next_key(clmdb_env *env, const void *after, size_t after_size, void **key, size_t *key_size,
                            char *message, size_t message_size);

// Stores `value` under `key` in the open write transaction, replacing any earlier value.
clmdb_status clmdb_put(clmdb_env *env, const void *key, size_t key_size, const void *value, size_t value_size,
                       char *message, size_t message_size);

// Commits the write transaction and flushes the file; the environment takes no more puts.
clmdb_status clmdb_commit(clmdb_env *env, char *message, size_t message_size);

// Closes the environment, dropping an uncommitted write transaction; safe on NULL.
void clmdb_close(clmdb_env *env);

void clmdb_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif
