// OpenCV behind the C interface in COpenCVShim.h. A C++ exception that crossed into Swift
// frames would end the process, so every entry point catches all of them.

#include "COpenCVShim.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <vector>

struct tkcv_decoder {
    cv::Mat image;
};

namespace {

void store_message(char *message, size_t capacity, const char *text) {
    if (message == nullptr || capacity == 0) return;
    std::strncpy(message, text, capacity - 1);
    message[capacity - 1] = '\0';
}

void configure_once() {
    static std::once_flag flag;
    std::call_once(flag, [] {
        cv::setNumThreads(0);
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    });
}

// Runs `body`, turning any exception into a message and the return value 1.
template <typename Body>
int guarded(char *message, size_t capacity, Body body) {
    try {
        return body();
    } catch (const cv::Exception &error) {
        store_message(message, capacity, error.msg.c_str());
    } catch (const std::exception &error) {
        store_message(message, capacity, error.what());
    } catch (...) {
        store_message(message, capacity, "unknown C++ exception");
    }
    return 1;
}

}  // namespace

extern "C" tkcv_decoder *tkcv_decoder_create(void) {
    try {
        configure_once();
        return new tkcv_decoder();
    } catch (...) {
        return nullptr;
    }
}

extern "C" void tkcv_decoder_release(tkcv_decoder *decoder) { delete decoder; }

extern "C" int tkcv_decode(tkcv_decoder *decoder, const void *bytes, size_t count, tkcv_image *image,
                           char *message, size_t message_capacity) {
    return guarded(message, message_capacity, [&]() -> int {
        if (count == 0 || count > static_cast<size_t>(INT32_MAX)) {
            store_message(message, message_capacity, "the data is empty or larger than 2 GiB");
            return 1;
        }
        // The Mat header wraps the caller's bytes without copying them.
        const cv::Mat encoded(1, static_cast<int>(count), CV_8UC1, const_cast<void *>(bytes));
        cv::imdecode(encoded, cv::IMREAD_UNCHANGED, &decoder->image);
        const cv::Mat &decoded = decoder->image;
        if (decoded.empty()) {
            store_message(message, message_capacity, "OpenCV could not decode the data");
            return 1;
        }
        const int depth = decoded.depth();
        if ((depth != CV_8U && depth != CV_16U) || decoded.dims != 2) {
            store_message(message, message_capacity, "unsupported sample type (not 8- or 16-bit unsigned)");
            return 1;
        }
        const int channels = decoded.channels();
        if (channels != 1 && channels != 3 && channels != 4) {
            store_message(message, message_capacity, "unsupported channel count (not 1, 3 or 4)");
            return 1;
        }
        image->width = decoded.cols;
        image->height = decoded.rows;
        image->channels = channels;
        image->bytes_per_sample = depth == CV_8U ? 1 : 2;
        image->row_bytes = decoded.step[0];
        image->pixels = decoded.data;
        return 0;
    });
}

extern "C" int tkcv_resize(const uint8_t *source, int32_t width, int32_t height, int32_t channels,
                           uint8_t *destination, int32_t destination_width, int32_t destination_height,
                           char *message, size_t message_capacity) {
    return guarded(message, message_capacity, [&]() -> int {
        const int type = CV_MAKETYPE(CV_8U, channels);
        const cv::Mat input(height, width, type, const_cast<uint8_t *>(source));
        cv::Mat output(destination_height, destination_width, type, destination);
        const bool shrinking = destination_width <= width && destination_height <= height;
        cv::resize(input, output, output.size(), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
        if (output.data != destination) {
            store_message(message, message_capacity, "OpenCV reallocated the output buffer");
            return 1;
        }
        return 0;
    });
}

extern "C" int tkcv_encode(const char *extension, const void *pixels, int32_t width, int32_t height,
                           int32_t channels, int32_t bytes_per_sample, uint8_t **output, size_t *output_count,
                           char *message, size_t message_capacity) {
    return guarded(message, message_capacity, [&]() -> int {
        const int depth = bytes_per_sample == 2 ? CV_16U : CV_8U;
        const cv::Mat input(height, width, CV_MAKETYPE(depth, channels), const_cast<void *>(pixels));
        std::vector<uchar> encoded;
        if (!cv::imencode(extension, input, encoded)) {
            store_message(message, message_capacity, "OpenCV could not encode the image");
            return 1;
        }
        auto *buffer = static_cast<uint8_t *>(std::malloc(encoded.empty() ? 1 : encoded.size()));
        if (buffer == nullptr) {
            store_message(message, message_capacity, "out of memory");
            return 1;
        }
        std::memcpy(buffer, encoded.data(), encoded.size());
        *output = buffer;
        *output_count = encoded.size();
        return 0;
    });
}

extern "C" void tkcv_buffer_free(uint8_t *buffer) { std::free(buffer); }
