// OpenBLAS's cblas interface plus its thread-count control.
#include <cblas.h>
