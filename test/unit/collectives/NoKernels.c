/*===- NoKernels.c - A kernel library without kernels --------------------===*\
|*                                                                          *|
|* The kernel image of test engines whose plans hold only collectives       *|
|* (CraftMultiRankEngine.cpp): dsv2-run loads it like any CPU engine's.     *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

int dsv2_no_kernels_marker(void) { return 0; }
