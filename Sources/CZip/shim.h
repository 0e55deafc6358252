// libzip: reading zip archives of images, from a file or from memory.
#include <zip.h>
