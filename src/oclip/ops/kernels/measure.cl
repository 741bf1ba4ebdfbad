// Per-label measurements in one pass over the image, row by row: each
// work-item walks the runs of equal label in its row (runs.clh), sums over a
// run in registers and adds the run's sums to the label's record with
// atomics, so atomics are paid per run, not per pixel.
//
// A record is RECORD uint words (see oclip.ops._measure for the layout).
// 64-bit sums are added with atom_add where the device has 64-bit atomics,
// else with two 32-bit atomics (low word, then high word plus the carry),
// which is exact modulo 2**64 once all additions are done.  Coordinate sums
// are exact integers.  Intensity sums are fixed point: each run's sum
// (accumulated in ACC) is multiplied by a power of two chosen on the host so
// that no label's total can overflow, then rounded to an integer: the sums
// are exact for integer images and carry about 62 significant bits of the
// largest possible total otherwise, whatever the order of the additions.
// Minima and maxima go through order-preserving uint keys (atomic_min/max).
//
// Build options: T_KEY = uint, KEY_EQUAL = 1 (runs of labels); T_IN, the
// intensity type; INTENSITY (0/1); INT64_ATOMICS (0/1); ACC (double or float);
// ACC_IS_DOUBLE; IS_FLOAT, IS_SIGNED (of T_IN).

#if ACC_IS_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
#if INT64_ATOMICS
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
#endif

#include "runs.clh"

#define RECORD 26
#define SUM_X 0
#define SUM_Y 2
#define SUM_Z 4
#define SUM_V 6
#define SUM_VV 8
#define SUM_VX 10
#define SUM_VY 12
#define SUM_VZ 14
#define COUNT 16
#define MIN_X 17
#define MIN_Y 18
#define MIN_Z 19
#define MAX_X 20
#define MAX_Y 21
#define MAX_Z 22
#define MIN_V 23
#define MAX_V 24

inline void add64(volatile __global uint *p, const long value)
{
#if INT64_ATOMICS
    atom_add((volatile __global long *)p, value);
#else
    const ulong u = (ulong)value;
    const uint low = (uint)u, high = (uint)(u >> 32);
    const uint old = atomic_add(p, low);
    atomic_add(p + 1, high + ((uint)(old + low) < old ? 1u : 0u));
#endif
}

// Order-preserving map of intensities to uint (decoded on the host).
inline uint value_key(const T_IN v)
{
#if IS_FLOAT
    const uint u = as_uint((float)v);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
#elif IS_SIGNED
    return (uint)((int)v) ^ 0x80000000u;
#else
    return (uint)v;
#endif
}

__kernel void init_records(__global uint *records)
{
    __global uint *r = records + get_global_id(0) * RECORD;
    for (int k = 0; k < RECORD; ++k)
        r[k] = 0u;
    r[MIN_X] = r[MIN_Y] = r[MIN_Z] = r[MIN_V] = UINT_MAX;
}

__kernel void label_records(__global const T_KEY *image, __global const T_IN *intensity,
                            volatile __global uint *records, const ACC scale_v,
                            const ACC scale_vv, const ACC scale_vx,
                            const int nx, const int ny)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    const uint y = r % ny, z = r / ny;
    FOR_EACH_RUN({
        volatile __global uint *rec = records + (size_t)v * RECORD;
        const uint n = e - s;
        atomic_add(rec + COUNT, n);
        add64(rec + SUM_X, ((long)s + e - 1) * n / 2);
        if (y)
            add64(rec + SUM_Y, (long)y * n);
        if (z)
            add64(rec + SUM_Z, (long)z * n);
        atomic_min(rec + MIN_X, (uint)s);
        atomic_max(rec + MAX_X, (uint)(e - 1));
        atomic_min(rec + MIN_Y, y);
        atomic_max(rec + MAX_Y, y);
        atomic_min(rec + MIN_Z, z);
        atomic_max(rec + MAX_Z, z);
#if INTENSITY
        ACC sv = 0, svv = 0, svx = 0;
        uint low = UINT_MAX, high = 0;
        for (int t = s; t < e; ++t) {
            const T_IN value = intensity[base + t];
            const ACC a = (ACC)value;
            sv += a;
            svv += a * a;
            svx += a * (ACC)t;
            const uint k = value_key(value);
            low = min(low, k);
            high = max(high, k);
        }
        add64(rec + SUM_V, convert_long_rte(sv * scale_v));
        add64(rec + SUM_VV, convert_long_rte(svv * scale_vv));
        add64(rec + SUM_VX, convert_long_rte(svx * scale_vx));
        if (y)
            add64(rec + SUM_VY, convert_long_rte(sv * (ACC)y * scale_vx));
        if (z)
            add64(rec + SUM_VZ, convert_long_rte(sv * (ACC)z * scale_vx));
        atomic_min(rec + MIN_V, low);
        atomic_max(rec + MAX_V, high);
#endif
    })
}

// Pixel counts only.
__kernel void label_counts(__global const T_KEY *image, volatile __global uint *counts,
                           const int nx)
{
    const long base = (long)get_global_id(0) * nx;
    FOR_EACH_RUN({
        atomic_add(counts + v, (uint)(e - s));
    })
}

// Every pixel takes its label's value (background 0).
__kernel void map_values(__global const uint *labels, __global const float *values,
                         __global float *out)
{
    const size_t i = get_global_id(0);
    const uint l = labels[i];
    out[i] = l ? values[l] : 0.0f;
}

// Label pixels on the image border flag their label (rows: one per work-item;
// the first and last row of a plane are border rows, and with `volume` (3D
// images, even of one plane) the rows of the first and last plane).
__kernel void flag_border(__global const T_KEY *image, __global uint *flags,
                          const int nx, const int ny, const int nz, const int volume)
{
    const int r = get_global_id(0);
    const int y = r % ny, z = r / ny;
    const long base = (long)r * nx;
    const int all = y == 0 || y == ny - 1 || (volume && (z == 0 || z == nz - 1));
    if (all) {
        FOR_EACH_RUN({
            flags[v] = 1u;
            (void)s;
            (void)e;
        })
    } else {
        if (image[base])
            flags[image[base]] = 1u;
        if (image[base + nx - 1])
            flags[image[base + nx - 1]] = 1u;
    }
}

// --- per-label values from records (for parametric maps) ---------------------

inline long read64(__global const uint *p)
{
    return (long)(((ulong)p[1] << 32) | (ulong)p[0]);
}

inline float key_value(const uint k)
{
#if IS_FLOAT
    return as_float((k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k);
#elif IS_SIGNED
    return (float)(int)(k ^ 0x80000000u);
#else
    return (float)k;
#endif
}

#define VALUE_COUNT 0
#define VALUE_MEAN 1
#define VALUE_MIN 2
#define VALUE_MAX 3
#define VALUE_STD 4

// out[l]: the pixel count, mean, minimum, maximum or standard deviation
// (population) of label l's intensities; 0 for absent labels.
__kernel void record_values(__global const uint *records, __global float *out, const int which,
                            const int exponent_v, const int exponent_vv)
{
    const int l = get_global_id(0);
    __global const uint *rec = records + (size_t)l * RECORD;
    const uint n = rec[COUNT];
    float value = 0.0f;
    if (n) {
        const ACC mean = ldexp((ACC)read64(rec + SUM_V), -exponent_v) / (ACC)n;
        if (which == VALUE_COUNT)
            value = (float)n;
        else if (which == VALUE_MEAN)
            value = (float)mean;
        else if (which == VALUE_MIN)
            value = key_value(rec[MIN_V]);
        else if (which == VALUE_MAX)
            value = key_value(rec[MAX_V]);
        else {
            const ACC squares = ldexp((ACC)read64(rec + SUM_VV), -exponent_vv) / (ACC)n;
            value = (float)sqrt(max(squares - mean * mean, (ACC)0));
        }
    }
    out[l] = value;
}

// centroids[3 l + a]: label l's centroid along x, y, z.
__kernel void record_centroids(__global const uint *records, __global float *centroids)
{
    const int l = get_global_id(0);
    __global const uint *rec = records + (size_t)l * RECORD;
    const ACC n = (ACC)max(rec[COUNT], 1u);
    for (int a = 0; a < 3; ++a)
        centroids[3 * l + a] = (float)((ACC)read64(rec + 2 * a) / n);
}

inline float centroid_distance(__global const float *centroids, const uint l, const int x,
                               const int y, const int z)
{
    const float dx = x - centroids[3 * l], dy = y - centroids[3 * l + 1],
                dz = z - centroids[3 * l + 2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

// Each label pixel's Euclidean distance to its label's centroid.
__kernel void centroid_distance_map(__global const uint *labels,
                                    __global const float *centroids, __global float *out,
                                    const int nx, const int ny)
{
    const int i = get_global_id(0);
    const uint l = labels[i];
    out[i] = l ? centroid_distance(centroids, l, i % nx, (i / nx) % ny, i / (nx * ny)) : 0.0f;
}

// Per label the largest distance to the centroid (float bits, atomic_max: the
// distances are not negative) and the fixed-point sum of the distances.
__kernel void centroid_distance_sums(__global const T_KEY *image,
                                     __global const float *centroids,
                                     volatile __global uint *largest,
                                     volatile __global uint *sums, const ACC scale,
                                     const int nx, const int ny)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    const int y = r % ny, z = r / ny;
    FOR_EACH_RUN({
        float high = 0.0f;
        ACC sum = 0;
        for (int t = s; t < e; ++t) {
            const float d = centroid_distance(centroids, v, t, y, z);
            high = fmax(high, d);
            sum += d;
        }
        atomic_max(largest + v, as_uint(high));
        add64(sums + 2 * v, convert_long_rte(sum * scale));
    })
}

// max / mean distance to the centroid; 1 for labels of one pixel.
__kernel void extension_ratios(__global const uint *largest, __global const uint *sums,
                               __global const uint *records, __global float *out,
                               const int exponent)
{
    const int l = get_global_id(0);
    const uint n = records[(size_t)l * RECORD + COUNT];
    float value = 0.0f;
    if (n) {
        const ACC mean = ldexp((ACC)read64(sums + 2 * l), -exponent) / (ACC)n;
        value = mean > 0 ? (float)((ACC)as_float(largest[l]) / mean) : 1.0f;
    }
    out[l] = value;
}

// One pass for the sizes of the records: result[0] = the largest label,
// result[1], result[2] = the keys of the smallest and largest intensity
// (result at 0, UINT_MAX, 0 before).  One work-item per row.
__kernel void label_range(__global const T_KEY *image, __global const T_IN *intensity,
                          volatile __global uint *result, const int nx)
{
    const long base = (long)get_global_id(0) * nx;
    uint largest = 0;
    for (int x = 0; x < nx; ++x)
        largest = max(largest, (uint)image[base + x]);
    if (largest)
        atomic_max(result, largest);
#if INTENSITY
    uint low = UINT_MAX, high = 0;
    for (int x = 0; x < nx; ++x) {
        const T_IN v = intensity[base + x];
#if IS_FLOAT
        if (isnan((float)v))
            continue;
#endif
        const uint k = value_key(v);
        low = min(low, k);
        high = max(high, k);
    }
    atomic_min(result + 1, low);
    atomic_max(result + 2, high);
#endif
}

// Each label writes itself at its centroid rounded half up (the larger label
// where two centroids fall on one pixel); `out` is zero-filled.
__kernel void centroid_points(__global const uint *records, volatile __global uint *out,
                              const int nx, const int ny, const int nz)
{
    const int l = get_global_id(0);
    __global const uint *rec = records + (size_t)l * RECORD;
    const uint n = rec[COUNT];
    if (l == 0 || n == 0)
        return;
    long c[3];
    for (int a = 0; a < 3; ++a) {
        // floor(sum / n + 1/2) = floor((2 sum + n) / (2 n)), exactly, sums >= 0
        c[a] = (2 * read64(rec + 2 * a) + n) / (2 * (long)n);
    }
    atomic_max(out + (c[2] * ny + c[1]) * nx + c[0], (uint)l);
}

// Overlap counts of two binary images per chunk: (|a|, |b|, |a and b|).
__kernel void overlap_chunks(__global const uchar *a, __global const uchar *b, const ulong n,
                             const ulong chunk, __global uint *partial)
{
    const ulong begin = get_global_id(0) * chunk;
    const ulong end = min(begin + chunk, n);
    uint ca = 0, cb = 0, both = 0;
    for (ulong i = begin; i < end; ++i) {
        const uint x = a[i] != 0, y = b[i] != 0;
        ca += x;
        cb += y;
        both += x & y;
    }
    partial[3 * get_global_id(0)] = ca;
    partial[3 * get_global_id(0) + 1] = cb;
    partial[3 * get_global_id(0) + 2] = both;
}

// --- second pass: central moments, distances to the centres, perimeter -----------
//
// Given each label's centroid and mass centre (centres: 6 ACC per label, x y z
// of the centroid, then of the mass centre, in pixels), one work-item per row
// adds per run:
// - the central moments sum (x - cx)^p (y - cy)^q (z - cz)^r, p, q, r = 0..3
//   (r = 0 only in 2D, MOMENT_Z = 0), in pixels, at moments[2 (M l + k)],
//   k = (r * 4 + q) * 4 + p, M = MOMENTS (16 or 64), as fixed point: the run's
//   sum times 2**(62 - p bx - q by - r bz - bn), with bx, by, bz, bn (bits[6 l]..)
//   bounds on the label's log2 width along x, y, z and log2 pixel count, so no
//   label's total can reach 2**62 whatever its size;
// - the sums of the Euclidean distances (in physical units: spacing sx, sy, sz)
//   to the centroid and to the mass centre, fixed point with the exponents
//   bits[6 l + 4] and bits[6 l + 5], at distances[4 l] and [4 l + 2], and their
//   maxima (float bits, atomic_max) at largest[2 l] and [2 l + 1];
// - with PERIMETER (2D images), the counts of the border pixels of each kind of
//   skimage.measure.perimeter (neighbourhood 4), at kinds[3 l + c]: c = 0 for
//   those of weight 1, 1 for sqrt(2), 2 for (1 + sqrt(2)) / 2.

// Build options of label_moments (other kernels build without them):
// MOMENTS (16 in 2D, 64 in 3D), MOMENT_Z (0 in 2D, 3 in 3D), PERIMETER (0/1).
#ifndef MOMENTS
#define MOMENTS 16
#define MOMENT_Z 0
#endif
#ifndef PERIMETER
#define PERIMETER 0
#endif

inline int is_border(__global const T_KEY *image, const T_KEY v, const int x, const int y,
                     const int nx, const int ny)
{
    if (x < 0 || y < 0 || x >= nx || y >= ny)
        return 0;
    const long i = (long)y * nx + x;
    if (image[i] != v)
        return 0;
    if (x == 0 || y == 0 || x == nx - 1 || y == ny - 1)
        return 1;
    return image[i - 1] != v || image[i + 1] != v || image[i - nx] != v || image[i + nx] != v;
}

__kernel void label_moments(__global const T_KEY *image, __global const ACC *centres,
                            __global const int *bits, const ACC sx, const ACC sy,
                            const ACC sz, volatile __global uint *moments,
                            volatile __global uint *distances,
                            volatile __global uint *largest, volatile __global uint *kinds,
                            const int nx, const int ny)
{
    const int row = get_global_id(0);
    const long base = (long)row * nx;
    const int y = row % ny, z = row / ny;
    FOR_EACH_RUN({
        __global const ACC *c = centres + 6 * (size_t)v;
        __global const int *b = bits + 6 * (size_t)v;
        ACC px[4] = {0, 0, 0, 0};
        ACC sum_c = 0, sum_m = 0, high_c = 0, high_m = 0;
        const ACC yc = sy * ((ACC)y - c[1]), zc = sz * ((ACC)z - c[2]);
        const ACC ym = sy * ((ACC)y - c[4]), zm = sz * ((ACC)z - c[5]);
        const ACC rest_c = yc * yc + zc * zc, rest_m = ym * ym + zm * zm;
        for (int t = s; t < e; ++t) {
            const ACC d = (ACC)t - c[0];
            px[1] += d;
            px[2] += d * d;
            px[3] += d * d * d;
            const ACC xc = sx * d, xm = sx * ((ACC)t - c[3]);
            const ACC dc = sqrt(xc * xc + rest_c), dm = sqrt(xm * xm + rest_m);
            sum_c += dc;
            sum_m += dm;
            high_c = fmax(high_c, dc);
            high_m = fmax(high_m, dm);
        }
        px[0] = (ACC)(e - s);
        const ACC dy = (ACC)y - c[1], dz = (ACC)z - c[2];
        volatile __global uint *mom = moments + 2 * (size_t)MOMENTS * v;
        ACC wz = 1;
        for (int r = 0; r <= MOMENT_Z; ++r) {
            ACC wy = 1;
            for (int q = 0; q < 4; ++q) {
                for (int p = 0; p < 4; ++p) {
                    const int exponent = 62 - p * b[0] - q * b[1] - r * b[2] - b[3];
                    const long value = convert_long_rte(ldexp(px[p] * wy * wz, exponent));
                    if (value)
                        add64(mom + 2 * ((r * 4 + q) * 4 + p), value);
                }
                wy *= dy;
            }
            wz *= dz;
        }
        add64(distances + 4 * (size_t)v, convert_long_rte(ldexp(sum_c, b[4])));
        add64(distances + 4 * (size_t)v + 2, convert_long_rte(ldexp(sum_m, b[5])));
        atomic_max(largest + 2 * (size_t)v, as_uint((float)high_c));
        atomic_max(largest + 2 * (size_t)v + 1, as_uint((float)high_m));
#if PERIMETER
        uint counts[3] = {0u, 0u, 0u};
        for (int t = s; t < e; ++t) {
            if (!is_border(image, v, t, y, nx, ny))
                continue;
            const int code = 1
                + 2 * (is_border(image, v, t - 1, y, nx, ny) + is_border(image, v, t + 1, y, nx, ny)
                       + is_border(image, v, t, y - 1, nx, ny)
                       + is_border(image, v, t, y + 1, nx, ny))
                + 10 * (is_border(image, v, t - 1, y - 1, nx, ny)
                        + is_border(image, v, t + 1, y - 1, nx, ny)
                        + is_border(image, v, t - 1, y + 1, nx, ny)
                        + is_border(image, v, t + 1, y + 1, nx, ny));
            if (code == 5 || code == 7 || code == 15 || code == 17 || code == 25 || code == 27)
                ++counts[0];
            else if (code == 21 || code == 33)
                ++counts[1];
            else if (code == 13 || code == 23)
                ++counts[2];
        }
        for (int k = 0; k < 3; ++k)
            if (counts[k])
                atomic_add(kinds + 3 * (size_t)v + k, counts[k]);
#endif
    })
}
