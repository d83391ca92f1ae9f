// PNG and JPEG reading and writing over libpng and libjpeg, for Swift.
//
// libpng and libjpeg report errors by longjmp. A longjmp across Swift frames is undefined behaviour, so
// every libpng/libjpeg call happens here, below a setjmp in this library's C code. Each function returns
// an ic_status and, on failure, writes a one-line message (no file name) into the caller's buffer.
// Nothing is ever printed to stderr.
#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    IC_OK = 0,
    IC_ERR_READ,         // the file cannot be opened or read (message from strerror)
    IC_ERR_WRITE,        // the file cannot be created or written (message from strerror)
    IC_ERR_NOT_IMAGE,    // empty, or neither the PNG nor the JPEG signature
    IC_ERR_TRUNCATED,    // the data ends before the image does
    IC_ERR_CORRUPT,      // the codec rejected the data (bad CRC, bad Huffman code, ...)
    IC_ERR_UNSUPPORTED,  // valid but not handled: CMYK/YCCK JPEG, images over the size limits
    IC_ERR_INVALID,      // the caller passed bad arguments (channel count, bit depth, quality)
    IC_ERR_NO_MEMORY,
} ic_status;

// Largest width or height accepted, and largest decoded size in bytes; checked before the pixel buffer
// is allocated, so a forged header cannot make the reader allocate gigabytes.
#define IC_MAX_DIMENSION 32768u
#define IC_MAX_BYTES (1ull << 30)

// A decoded image: interleaved, row-major samples without padding between rows.
typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t channels;   // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    uint32_t bit_depth;  // 8 (uint8_t samples) or 16 (uint16_t samples in host byte order)
    void *pixels;        // malloc'd; release with ic_image_free
} ic_image;

// Reads a PNG or JPEG file, recognised by its first bytes (not by its name). On success fills *out.
ic_status ic_read_file(const char *path, ic_image *out, char *message, size_t message_size);

// Same as ic_read_file for encoded bytes in memory.
ic_status ic_read_memory(const void *data, size_t size, ic_image *out, char *message, size_t message_size);

// Frees the pixels of an image filled by a reader and zeroes the struct; safe on a zeroed struct.
void ic_image_free(ic_image *image);

// Writes a PNG with 1 to 4 channels of 8-bit or 16-bit (host byte order) samples laid out as in ic_image.
// The file is created exclusively (an existing file is an error): callers write to a fresh temporary
// name and rename it. On failure the file may exist partly written; the caller removes it.
ic_status ic_write_png(const char *path, uint32_t width, uint32_t height, uint32_t channels,
                       uint32_t bit_depth, const void *pixels, char *message, size_t message_size);

// Writes a baseline JPEG from 8-bit gray (1 channel) or RGB (3 channels) at quality 1...100, with
// libjpeg's default 4:2:0 chroma subsampling. Creation and failure behave as in ic_write_png.
ic_status ic_write_jpeg(const char *path, uint32_t width, uint32_t height, uint32_t channels,
                        const uint8_t *pixels, int quality, char *message, size_t message_size);

#ifdef __cplusplus
}
#endif

#endif
