// Checks of argument values that the registry makes before an operation runs.
//
// flag_nonfinite sets flag[0] to 1 if any of the n floats is NaN (if CHECK_NAN is 1)
// or +-inf (if CHECK_INF is 1).  One launch size serves every array size (one work-group
// function on CPU drivers).  With CONTIGUOUS (CPU devices) each work-item reads a
// contiguous run of the array, which CPU drivers vectorise and prefetch (far
// faster there than striding); otherwise work-items stride
// through the array by the global size, so that neighbouring work-items read
// neighbouring floats (coalesced on GPUs), four at a time.  Only a work-item that found one
// writes the flag, and every writer writes the same value.

#ifndef CHECK_NAN
#define CHECK_NAN 1
#endif
#ifndef CHECK_INF
#define CHECK_INF 1
#endif
#ifndef CONTIGUOUS
#define CONTIGUOUS 0
#endif

// BAD(v) for one float, ANY_BAD(v) for a float4.
#if CHECK_NAN && CHECK_INF
#define BAD(v) (!isfinite(v))
#define ANY_BAD(v) (!all(isfinite(v)))
#elif CHECK_NAN
#define BAD(v) isnan(v)
#define ANY_BAD(v) any(isnan(v))
#else
#define BAD(v) isinf(v)
#define ANY_BAD(v) any(isinf(v))
#endif

__kernel void flag_nonfinite(__global const float *x, const ulong n, __global uint *flag) {
    int found = 0;
#if CONTIGUOUS
    const ulong run = (n + get_global_size(0) - 1) / get_global_size(0);
    const ulong start = get_global_id(0) * run;
    const ulong stop = min(n, start + run);
    for (ulong i = start; i < stop; ++i) {
        found |= BAD(x[i]);
    }
#else
    // float4 loads (the buffer starts aligned: arrays with an offset are copied
    // first), then the last n % 4 floats one by one.
    const ulong quads = n / 4;
    __global const float4 *x4 = (__global const float4 *)x;
    for (ulong i = get_global_id(0); i < quads; i += get_global_size(0)) {
        found |= ANY_BAD(x4[i]);
    }
    for (ulong i = 4 * quads + get_global_id(0); i < n; i += get_global_size(0)) {
        found |= BAD(x[i]);
    }
#endif
    if (found) {
        flag[0] = 1u;
    }
}
