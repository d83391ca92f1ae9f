// LMDB calls behind a guard: LMDB's assertion handler jumps back here instead of aborting the process.
#include "clmdb.h"

#include <errno.h>
#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct clmdb_env {
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *write_txn;  // the writer's open transaction; NULL for readers and after commit
    int writable;
    // Readers: where the data file is mapped and how long it is, to refuse values that would run past it
    // (touching mapped pages beyond the end of a truncated file raises SIGBUS).
    const char *map_start;
    uint64_t file_size;
    atomic_int damaged;  // set once an LMDB assertion failed: its state can no longer be trusted
};

// Where the LMDB call running on this thread returns to if one of LMDB's assertions fails.
static _Thread_local jmp_buf *guard_jump;
static _Thread_local char guard_text[320];

static void on_assert(MDB_env *env, const char *text) {
    (void)env;
    snprintf(guard_text, sizeof guard_text, "%s", text);
    jmp_buf *jump = guard_jump;
    guard_jump = NULL;
    if (jump != NULL) longjmp(*jump, 1);
}

static void put_message(char *message, size_t message_size, const char *format, ...) {
    if (message == NULL || message_size == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(message, message_size, format, args);
    va_end(args);
}

static clmdb_status status_of(int rc) {
    switch (rc) {
    case MDB_SUCCESS: return CLMDB_OK;
    case MDB_NOTFOUND: return CLMDB_NOT_FOUND;
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH: return CLMDB_ERR_INVALID;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_BAD_TXN: return CLMDB_ERR_DAMAGED;
    case MDB_MAP_FULL: return CLMDB_ERR_FULL;
    case ENOENT:
    case EACCES:
    case ENOTDIR:
    case EISDIR:
    case EROFS: return CLMDB_ERR_OPEN;
    default: return CLMDB_ERR_OTHER;
    }
}

static clmdb_status fail(int rc, const char *what, char *message, size_t message_size) {
    put_message(message, message_size, "%s: %s", what, mdb_strerror(rc));
    return status_of(rc);
}

static clmdb_status damaged(clmdb_env *e, char *message, size_t message_size) {
    atomic_store(&e->damaged, 1);
    put_message(message, message_size, "the database is damaged (LMDB check failed: %s)", guard_text);
    return CLMDB_ERR_DAMAGED;
}

static int refuse_damaged(clmdb_env *e, char *message, size_t message_size) {
    if (!atomic_load(&e->damaged)) return 0;
    put_message(message, message_size, "the database was found damaged by an earlier read");
    return 1;
}

static clmdb_status copy_out(const clmdb_env *e, const MDB_val *val, void **out, size_t *out_size, char *message,
                             size_t message_size) {
    const char *start = val->mv_data;
    if (e->map_start != NULL && (start < e->map_start || (uint64_t)(start - e->map_start) > e->file_size ||
                                 val->mv_size > e->file_size - (uint64_t)(start - e->map_start))) {
        put_message(message, message_size, "the database is damaged: a record of %zu bytes lies past the end of "
                                            "the file", val->mv_size);
        return CLMDB_ERR_DAMAGED;
    }
    void *copy = malloc(val->mv_size > 0 ? val->mv_size : 1);
    if (copy == NULL) {
        put_message(message, message_size, "out of memory for a record of %zu bytes", val->mv_size);
        return CLMDB_ERR_OTHER;
    }
    if (val->mv_size > 0) memcpy(copy, start, val->mv_size);
    *out = copy;
    *out_size = val->mv_size;
    return CLMDB_OK;
}

// Closes a half-made environment and passes `status` on.
static clmdb_status discard(clmdb_env *e, clmdb_status status) {
    clmdb_close(e);
    return status;
}

// Creates the MDB_env with the guard's assertion handler; the caller opens it.
static clmdb_env *new_env(char *message, size_t message_size, clmdb_status *status) {
    clmdb_env *e = calloc(1, sizeof *e);
    if (e == NULL) {
        put_message(message, message_size, "out of memory");
        *status = CLMDB_ERR_OTHER;
        return NULL;
    }
    int rc = mdb_env_create(&e->env);
    if (rc == MDB_SUCCESS) rc = mdb_env_set_assert(e->env, on_assert);
    if (rc != MDB_SUCCESS) {
        *status = fail(rc, "cannot create an LMDB environment", message, message_size);
        if (e->env != NULL) mdb_env_close(e->env);
        free(e);
        return NULL;
    }
    return e;
}

clmdb_status clmdb_open_read(const char *path, clmdb_env **out, char *message, size_t message_size) {
    *out = NULL;
    struct stat info;
    if (stat(path, &info) != 0) {
        put_message(message, message_size, "cannot open: %s", strerror(errno));
        return CLMDB_ERR_OPEN;
    }
    clmdb_status status = CLMDB_OK;
    clmdb_env *volatile e = new_env(message, message_size, &status);
    if (e == NULL) return status;

    jmp_buf jump;
    if (setjmp(jump) != 0) return discard(e, damaged(e, message, message_size));
    guard_jump = &jump;
    unsigned flags = MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS | MDB_NORDAHEAD | (S_ISDIR(info.st_mode) ? 0 : MDB_NOSUBDIR);
    int rc = mdb_env_open(e->env, path, flags, 0);
    MDB_txn *txn = NULL;
    if (rc == MDB_SUCCESS) rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (rc == MDB_SUCCESS) rc = mdb_dbi_open(txn, NULL, 0, &e->dbi);
    if (rc == MDB_SUCCESS) {
        rc = mdb_txn_commit(txn);
    } else if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    MDB_envinfo env_info;
    MDB_stat env_stat;
    int fd = -1;
    struct stat file_info;
    if (rc == MDB_SUCCESS) rc = mdb_env_info(e->env, &env_info);
    if (rc == MDB_SUCCESS) rc = mdb_env_stat(e->env, &env_stat);
    if (rc == MDB_SUCCESS) rc = mdb_env_get_fd(e->env, &fd);
    if (rc == MDB_SUCCESS && fstat(fd, &file_info) != 0) rc = errno;
    guard_jump = NULL;
    if (rc != MDB_SUCCESS) return discard(e, fail(rc, "cannot open as an LMDB database", message, message_size));
    uint64_t needed = ((uint64_t)env_info.me_last_pgno + 1) * env_stat.ms_psize;
    if ((uint64_t)file_info.st_size < needed) {
        put_message(message, message_size,
                    "the data file holds %llu bytes but its pages run to %llu bytes (truncated?)",
                    (unsigned long long)file_info.st_size, (unsigned long long)needed);
        return discard(e, CLMDB_ERR_INVALID);
    }
    e->map_start = env_info.me_mapaddr;
    e->file_size = (uint64_t)file_info.st_size;
    *out = e;
    return CLMDB_OK;
}

clmdb_status clmdb_create(const char *path, uint64_t map_size, clmdb_env **out, char *message,
                          size_t message_size) {
    *out = NULL;
    clmdb_status status = CLMDB_OK;
    clmdb_env *volatile e = new_env(message, message_size, &status);
    if (e == NULL) return status;

    jmp_buf jump;
    if (setjmp(jump) != 0) return discard(e, damaged(e, message, message_size));
    guard_jump = &jump;
    int rc = mdb_env_set_mapsize(e->env, (size_t)map_size);
    if (rc == MDB_SUCCESS) rc = mdb_env_open(e->env, path, MDB_NOLOCK, 0644);
    if (rc == MDB_SUCCESS) rc = mdb_txn_begin(e->env, NULL, 0, &e->write_txn);
    if (rc == MDB_SUCCESS) rc = mdb_dbi_open(e->write_txn, NULL, 0, &e->dbi);
    guard_jump = NULL;
    if (rc != MDB_SUCCESS) return discard(e, fail(rc, "cannot create an LMDB database", message, message_size));
    e->writable = 1;
    *out = e;
    return CLMDB_OK;
}

clmdb_status clmdb_get(clmdb_env *e, const void *key, size_t key_size, void **value, size_t *value_size,
                       char *message, size_t message_size) {
    *value = NULL;
    *value_size = 0;
    if (refuse_damaged(e, message, message_size)) return CLMDB_ERR_DAMAGED;
    jmp_buf jump;
    if (setjmp(jump) != 0) return damaged(e, message, message_size);  // the transaction is leaked on purpose
    guard_jump = &jump;
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    clmdb_status status;
    if (rc != MDB_SUCCESS) {
        status = fail(rc, "cannot begin a read", message, message_size);
    } else {
        MDB_val k = {key_size, (void *)key}, v;
        rc = mdb_get(txn, e->dbi, &k, &v);
        if (rc == MDB_NOTFOUND) {
            status = CLMDB_NOT_FOUND;
        } else if (rc != MDB_SUCCESS) {
            status = fail(rc, "cannot read", message, message_size);
        } else {
            status = copy_out(e, &v, value, value_size, message, message_size);
        }
        mdb_txn_abort(txn);
    }
    guard_jump = NULL;
    return status;
}

clmdb_status clmdb_next_key(clmdb_env *e, const void *after, size_t after_size, void **key, size_t *key_size,
                            char *message, size_t message_size) {
    *key = NULL;
    *key_size = 0;
    if (refuse_damaged(e, message, message_size)) return CLMDB_ERR_DAMAGED;
    jmp_buf jump;
    if (setjmp(jump) != 0) return damaged(e, message, message_size);
    guard_jump = &jump;
    MDB_txn *txn = NULL;
    MDB_cursor *cursor = NULL;
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (rc == MDB_SUCCESS) rc = mdb_cursor_open(txn, e->dbi, &cursor);
    MDB_val k = {after_size, (void *)after}, v;
    if (rc == MDB_SUCCESS) {
        if (after == NULL) {
            rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
        } else {
            // SET_RANGE finds the first key >= `after`; step over `after` itself.
            rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
            if (rc == MDB_SUCCESS && k.mv_size == after_size && memcmp(k.mv_data, after, after_size) == 0) {
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
            }
        }
    }
    clmdb_status status;
    if (rc == MDB_NOTFOUND) {
        status = CLMDB_NOT_FOUND;
    } else if (rc != MDB_SUCCESS) {
        status = fail(rc, "cannot list the keys", message, message_size);
    } else {
        status = copy_out(e, &k, key, key_size, message, message_size);
    }
    if (cursor != NULL) mdb_cursor_close(cursor);
    if (txn != NULL) mdb_txn_abort(txn);
    guard_jump = NULL;
    return status;
}

// CLMDB_OK while the writer's transaction is open, else why not.
static clmdb_status check_writable(clmdb_env *e, char *message, size_t message_size) {
    if (refuse_damaged(e, message, message_size)) return CLMDB_ERR_DAMAGED;
    if (e->writable && e->write_txn != NULL) return CLMDB_OK;
    put_message(message, message_size, "the database takes no more writes (read-only or committed)");
    return CLMDB_ERR_STATE;
}

clmdb_status clmdb_put(clmdb_env *e, const void *key, size_t key_size, const void *value, size_t value_size,
                       char *message, size_t message_size) {
    clmdb_status ready = check_writable(e, message, message_size);
    if (ready != CLMDB_OK) return ready;
    jmp_buf jump;
    if (setjmp(jump) != 0) return damaged(e, message, message_size);
    guard_jump = &jump;
    MDB_val k = {key_size, (void *)key}, v = {value_size, (void *)value};
    int rc = mdb_put(e->write_txn, e->dbi, &k, &v, 0);
    guard_jump = NULL;
    if (rc == MDB_MAP_FULL) {
        put_message(message, message_size, "the data outgrew the database's map size");
        return CLMDB_ERR_FULL;
    }
    return rc == MDB_SUCCESS ? CLMDB_OK : fail(rc, "cannot write", message, message_size);
}

clmdb_status clmdb_commit(clmdb_env *e, char *message, size_t message_size) {
    clmdb_status ready = check_writable(e, message, message_size);
    if (ready != CLMDB_OK) return ready;
    jmp_buf jump;
    if (setjmp(jump) != 0) return damaged(e, message, message_size);
    guard_jump = &jump;
    MDB_txn *txn = e->write_txn;
    e->write_txn = NULL;  // committed or aborted by mdb_txn_commit either way
    int rc = mdb_txn_commit(txn);
    if (rc == MDB_SUCCESS) rc = mdb_env_sync(e->env, 1);
    guard_jump = NULL;
    return rc == MDB_SUCCESS ? CLMDB_OK : fail(rc, "cannot commit", message, message_size);
}

void clmdb_close(clmdb_env *e) {
    if (e == NULL) return;
    if (e->write_txn != NULL && !atomic_load(&e->damaged)) mdb_txn_abort(e->write_txn);
    mdb_env_close(e->env);
    free(e);
}

void clmdb_free(void *buffer) { free(buffer); }
