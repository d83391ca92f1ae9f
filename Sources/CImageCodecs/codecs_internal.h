// Shared between the PNG and JPEG codecs; not part of the public header.
#ifndef CODECS_INTERNAL_H
#define CODECS_INTERNAL_H

#include <stdio.h>

#include "image_codecs.h"

// Where encoded bytes come from: a FILE or a memory block. The first bytes are read ahead to recognise
// the format (and, for PNG, to check the size in IHDR before libpng sees it); they sit in `head` and
// are handed out again before the rest, so the codecs read the stream from its first byte.
typedef struct {
    FILE *file;                 // file source, or NULL for a memory source
    const unsigned char *data;  // memory source
    size_t size;
    size_t position;
    unsigned char head[24];     // PNG signature (8) + IHDR length, type, width, height (16)
    size_t head_length;
    size_t head_position;
    int read_errno;             // errno of a failed read; 0 when reads only stopped at the end
} ic_source;

// Reads up to `count` bytes; fewer only at the end of the data or on a read error (read_errno set).
size_t ic_source_read(ic_source *source, void *buffer, size_t count);

// printf into the caller's message buffer, always NUL-terminated.
void ic_message(char *message, size_t message_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

// IC_ERR_UNSUPPORTED with a message when a decoded image would exceed the limits in image_codecs.h.
ic_status ic_check_size(const char *format_name, uint64_t width, uint64_t height, uint64_t channels,
                        uint64_t bytes_per_sample, char *message, size_t message_size);

// Opens `path` for writing, refusing an existing file; IC_ERR_WRITE with strerror on failure.
ic_status ic_create_file(const char *path, FILE **file, char *message, size_t message_size);

// Flushes to disk (so a rename that follows publishes complete data) and closes. A failed `status`
// only closes. Returns the first failure.
ic_status ic_finish_file(FILE *file, ic_status status, char *message, size_t message_size);

int ic_host_is_little_endian(void);

ic_status ic_png_read(ic_source *source, ic_image *out, char *message, size_t message_size);
ic_status ic_jpeg_read(ic_source *source, ic_image *out, char *message, size_t message_size);

#endif
