// A plain C interface to OpenCV's image decoding, resizing and encoding, so that no C++
// type or exception reaches Swift. Every function catches all C++ exceptions and
// reports failure as a non-zero return with a NUL-terminated message.
//
// Only mnist-prep links this target: loading libopencv_imgcodecs adds about 75 ms and
// some 150 shared libraries to a process's start.

#ifndef COPENCVSHIM_H
#define COPENCVSHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A decoder with its own reusable pixel buffer. One decoder serves one thread at a time.
typedef struct tkcv_decoder tkcv_decoder;

/// A decoded image as OpenCV's IMREAD_UNCHANGED returns it. `pixels` stays valid until the
/// decoder's next call or its release.
typedef struct tkcv_image {
    int32_t width;
    int32_t height;
    /// 1 (gray), 3 (blue, green, red) or 4 (blue, green, red, alpha).
    int32_t channels;
    /// 1 for 8-bit samples, 2 for 16-bit samples in native byte order.
    int32_t bytes_per_sample;
    /// Bytes from the start of one row to the start of the next.
    size_t row_bytes;
    const uint8_t *pixels;
} tkcv_image;

/// Creates a decoder; returns NULL when out of memory. The first call also turns off
/// OpenCV's own worker threads and its log output, because callers decode on every core.
tkcv_decoder *tkcv_decoder_create(void);
void tkcv_decoder_release(tkcv_decoder *decoder);

/// Decodes a JPEG, PNG or BMP (or any format this OpenCV reads) from memory, keeping
/// bit depth, channels and alpha. Returns 0 on success.
int tkcv_decode(tkcv_decoder *decoder, const void *bytes, size_t count, tkcv_image *image,
                char *message, size_t message_capacity);

/// Resizes 8-bit interleaved pixels (no row padding). Area averaging when shrinking,
/// bilinear interpolation when enlarging. Returns 0 on success.
int tkcv_resize(const uint8_t *source, int32_t width, int32_t height, int32_t channels,
                uint8_t *destination, int32_t destination_width, int32_t destination_height,
                char *message, size_t message_capacity);

/// Encodes interleaved pixels (channels 1, 3 as blue-green-red, or 4 with alpha; 1 or 2
/// bytes a sample) in the format that `extension` names, for example ".png" or ".jpg".
/// On success `*output` is a buffer to free with tkcv_buffer_free. Returns 0 on success.
int tkcv_encode(const char *extension, const void *pixels, int32_t width, int32_t height,
                int32_t channels, int32_t bytes_per_sample, uint8_t **output, size_t *output_count,
                char *message, size_t message_capacity);
void tkcv_buffer_free(uint8_t *buffer);

#ifdef __cplusplus
}
#endif

#endif
