// zlib: gzip inflation and CRC-32.
#include <zlib.h>
