// Connected-component labeling of (z, y, x) images by runs: one work-item per
// image row (a line along x).
//
// A run is a maximal stretch of a row whose pixels belong together: foreground
// pixels (KEY_EQUAL 0) or pixels of one non-zero value (KEY_EQUAL 1, for
// "components of equal values").  Only the first pixel of a run, its start,
// takes part in the union-find; the other pixels follow it.
//
// Union-find without locks (O. Kalentev et al. 2011; D. P. Playne and
// K. Hawick 2018), stored as offsets: up[i] = i - parent(i), 0 at a root, so
// that a zero-filled buffer is a forest of single roots and no
// initialisation kernel is needed.  Unions only ever lower a root's parent
// (atomic_max of the offset), so a component's root is its smallest index:
// its first pixel in raster order.  Numbering the roots in index order then
// gives labels in raster order, as scipy.ndimage.label does.
//
// Build options:
//   T_KEY          element type of the image
//   KEY_EQUAL      0: any non-zero pixels join; 1: only pixels of equal value
//   CONNECTIVITY   1: faces only ("diamond"); 3: also edges and corners ("box")

#include "runs.clh"

inline int find_root(volatile __global const int *up, int i)
{
    int step = up[i];
    while (step != 0) {
        i -= step;
        step = up[i];
    }
    return i;
}

inline void unite(volatile __global int *up, int a, int b)
{
    for (;;) {
        a = find_root(up, a);
        b = find_root(up, b);
        if (a == b)
            return;
        // Hang the larger root under the smaller one, unless another
        // work-item changed it meanwhile: then retry from its parent.
        const int high = max(a, b), low = min(a, b);
        const int seen = atomic_max(&up[high], high - low);
        if (seen == 0)
            return;
        a = high - seen;
        b = low;
    }
}

// A cursor walking along a neighbour row: `start` is the start of the run
// holding position `next - 1`, or -1 where that position is background;
// `before` the same for position `next - 2`.
typedef struct {
    long row;
    int next, start, before;
} Cursor;

inline void cursor_step(__global const T_KEY *image, Cursor *c)
{
    const int t = c->next;
    const T_KEY v = image[c->row + t];
    c->before = c->start;
    if (!FOREGROUND(v))
        c->start = -1;
#if KEY_EQUAL
    else if (c->start < 0 || image[c->row + t - 1] != v)
        c->start = t;
#else
    else if (c->start < 0)
        c->start = t;
#endif
    c->next = t + 1;
}

// Unite the run starting at `s` (value `v`) with every run of the neighbour
// row that has a pixel in [lo, hi].  Calls come with increasing lo and hi.
inline void unite_range(__global const T_KEY *image, volatile __global int *up, Cursor *c,
                        const int s, const T_KEY v, const int lo, const int hi, const long base)
{
    while (c->next < lo)
        cursor_step(image, c);
    // Positions the run before already walked (runs of different values can
    // be adjacent, so up to two with "box"): their run starts are kept.
    for (int t = lo; t < c->next; ++t) {
        const int start = t == c->next - 1 ? c->start : c->before;
        if (start >= 0 && SAME(image[c->row + t], v))
            unite(up, (int)(base + s), (int)(c->row + start));
    }
    while (c->next <= hi) {
        const int t = c->next;
        cursor_step(image, c);
        if (c->start >= 0 && (c->start == t || t == lo) && SAME(image[c->row + t], v))
            unite(up, (int)(base + s), (int)(c->row + c->start));
    }
}

#if CONNECTIVITY >= 2
#define REACH 1
#else
#define REACH 0
#endif

// Each run unites with the runs it touches in the rows before it: (z, y - 1),
// and for "box" also (z - 1, y - 1 .. y + 1); for "diamond" (z - 1, y).
__kernel void cc_merge(__global const T_KEY *image, volatile __global int *up,
                       const int nx, const int ny, const int nz)
{
    const int r = get_global_id(0);
    const int y = r % ny, z = r / ny;
    const long base = (long)r * nx;
    Cursor c[4];
    int rows = 0;
    if (y > 0)
        c[rows++].row = base - nx;
    if (z > 0) {
        const long plane = base - (long)nx * ny;
#if CONNECTIVITY >= 2
        if (y > 0)
            c[rows++].row = plane - nx;
        c[rows++].row = plane;
        if (y + 1 < ny)
            c[rows++].row = plane + nx;
#else
        c[rows++].row = plane;
#endif
    }
    for (int k = 0; k < rows; ++k) {
        c[k].next = 0;
        c[k].start = -1;
        c[k].before = -1;
    }
    int x = 0;
    while (x < nx) {
        const T_KEY v = image[base + x];
        if (!FOREGROUND(v)) {
            ++x;
            continue;
        }
        const int s = x;
        ++x;
        while (x < nx && SAME(image[base + x], v) && FOREGROUND(image[base + x]))
            ++x;
        const int lo = max(s - REACH, 0), hi = min(x - 1 + REACH, nx - 1);
        for (int k = 0; k < rows; ++k)
            unite_range(image, up, &c[k], s, v, lo, hi, base);
    }
}

// Point every run start straight at its root and count the roots of each row.
__kernel void cc_count(__global const T_KEY *image, volatile __global int *up,
                       __global uint *counts, const int nx)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    uint count = 0;
    FOR_EACH_RUN({
        const int i = (int)(base + s);
        const int root = find_root(up, i);
        if (root == i)
            ++count;
        else
            up[i] = i - root;
        (void)e;
    })
    counts[r] = count;
}

// Exclusive prefix sums of `counts` (n values) into `offsets` (n + 1 values,
// the last the total), by one work-group: each work-item sums a stretch.
__kernel void exclusive_scan(__global const uint *counts, __global uint *offsets, const int n,
                             __local uint *partial)
{
    const int lid = get_local_id(0), size = get_local_size(0);
    const int chunk = (n + size - 1) / size;
    const int begin = min(lid * chunk, n), end = min(begin + chunk, n);
    uint sum = 0;
    for (int i = begin; i < end; ++i)
        sum += counts[i];
    partial[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        uint running = 0;
        for (int k = 0; k < size; ++k) {
            const uint here = partial[k];
            partial[k] = running;
            running += here;
        }
        offsets[n] = running;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    uint running = partial[lid];
    for (int i = begin; i < end; ++i) {
        offsets[i] = running;
        running += counts[i];
    }
}

// Give each root its label: 1 + the number of roots before it.
__kernel void cc_number(__global const T_KEY *image, __global const int *up,
                        __global const uint *offsets, __global uint *labels, const int nx)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    uint label = offsets[r];
    FOR_EACH_RUN({
        if (up[base + s] == 0)
            labels[base + s] = ++label;
        (void)e;
    })
}

// Every pixel takes its root's label; background 0.  A root's own pixel is
// rewritten with the value it holds, so reading it from other rows is safe.
__kernel void cc_assign(__global const T_KEY *image, __global const int *up,
                        __global uint *labels, const int nx)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    int previous = 0;
    FOR_EACH_RUN({
        for (int t = previous; t < s; ++t)
            labels[base + t] = 0;
        const int i = (int)(base + s);
        const uint label = labels[i - up[i]];
        for (int t = s; t < e; ++t)
            labels[base + t] = label;
        previous = e;
    })
    for (int t = previous; t < nx; ++t)
        labels[base + t] = 0;
}

// --- sequential numbering ------------------------------------------------------

// flags[l] = 1 for every label l present (T_KEY = uint, KEY_EQUAL = 1).
__kernel void mark_present(__global const T_KEY *image, __global uint *flags, const int nx)
{
    const long base = (long)get_global_id(0) * nx;
    FOR_EACH_RUN({
        flags[v] = 1u;
        (void)s;
        (void)e;
    })
}

// Sums of `values` over blocks of `block` entries (one work-item per block).
__kernel void block_sums(__global const uint *values, __global uint *sums, const int n,
                         const int block)
{
    const int b = get_global_id(0);
    const int begin = b * block, end = min(begin + block, n);
    uint sum = 0;
    for (int i = begin; i < end; ++i)
        sum += values[i];
    sums[b] = sum;
}

// The number of non-zero entries of `flags` per block of `block` entries.
__kernel void block_count(__global const T_KEY *flags, __global uint *sums, const int n,
                          const int block)
{
    const int b = get_global_id(0);
    const int begin = b * block, end = min(begin + block, n);
    uint sum = 0;
    for (int i = begin; i < end; ++i)
        sum += flags[i] != 0;
    sums[b] = sum;
}

// number[i] = 0 where flags[i] is 0, else 1 + the number of flags set before
// i (offsets: exclusive sums of the blocks' flags).
__kernel void block_number(__global const T_KEY *flags, __global const uint *offsets,
                           __global uint *number, const int n, const int block)
{
    const int b = get_global_id(0);
    const int begin = b * block, end = min(begin + block, n);
    uint running = offsets[b];
    for (int i = begin; i < end; ++i)
        number[i] = flags[i] ? ++running : 0u;
}

__kernel void apply_lut(__global const uint *labels, __global const uint *lut,
                        __global uint *out)
{
    const size_t i = get_global_id(0);
    out[i] = lut[labels[i]];
}

// --- raster-order numbering ----------------------------------------------------
// first[l]: the smallest index of label l (first initialised to UINT_MAX).

__kernel void first_pixel(__global const T_KEY *image, volatile __global uint *first,
                          const int nx)
{
    const long base = (long)get_global_id(0) * nx;
    FOR_EACH_RUN({
        atomic_min(&first[v], (uint)(base + s));
        (void)e;
    })
}

// counts[r]: the number of labels whose first pixel lies in row r.
__kernel void count_first(__global const T_KEY *image, __global const uint *first,
                          __global uint *counts, const int nx)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    uint count = 0;
    FOR_EACH_RUN({
        count += first[v] == (uint)(base + s);
        (void)e;
    })
    counts[r] = count;
}

// lut[l]: 1 + the number of labels whose first pixel comes before l's.
__kernel void number_first(__global const T_KEY *image, __global const uint *first,
                           __global const uint *offsets, __global uint *lut, const int nx)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    uint label = offsets[r];
    FOR_EACH_RUN({
        if (first[v] == (uint)(base + s))
            lut[v] = ++label;
        (void)e;
    })
}

// Exclusive prefix sums of a long vector, block by block (block_offsets: the
// exclusive sums of the blocks); offsets has n + 1 entries, the last the total.
__kernel void block_exclusive(__global const uint *counts, __global const uint *block_offsets,
                              __global uint *offsets, const int n, const int block)
{
    const int b = get_global_id(0);
    const int begin = b * block, end = min(begin + block, n);
    uint running = block_offsets[b];
    for (int i = begin; i < end; ++i) {
        offsets[i] = running;
        running += counts[i];
    }
    if (end == n)
        offsets[n] = running;
}

// --- merging touching labels: union-find over label values ---------------------
// `up` has n + 1 entries (zero-filled); each pixel unites its label with the
// different non-zero labels of its forward face neighbours (+x, +y, +z).

__kernel void touch_unite(__global const uint *labels, volatile __global int *up,
                          const int nx, const int ny, const int nz)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    const long i = ((long)z * ny + y) * nx + x;
    const uint a = labels[i];
    if (a == 0)
        return;
    uint b;
    if (x + 1 < nx && (b = labels[i + 1]) != 0 && b != a)
        unite(up, (int)a, (int)b);
    if (y + 1 < ny && (b = labels[i + nx]) != 0 && b != a)
        unite(up, (int)a, (int)b);
    if (z + 1 < nz && (b = labels[i + (long)nx * ny]) != 0 && b != a)
        unite(up, (int)a, (int)b);
}

// flags[l] = 1 for labels present (present[l]) that are roots of their group.
__kernel void root_flags(__global const int *up, __global const uint *present,
                         __global uint *flags)
{
    const int l = get_global_id(0);
    flags[l] = present[l] && up[l] == 0;
}

// lut[l] = the number of l's root (number: sequential numbers of the roots).
__kernel void root_lut(volatile __global const int *up, __global const uint *number,
                       __global uint *lut)
{
    const int l = get_global_id(0);
    lut[l] = l == 0 ? 0u : number[find_root(up, l)];
}

// --- touching pairs ------------------------------------------------------------
// Pairs (a, b), a < b, of different non-zero labels that share a face: each
// row emits the pairs of its pixels with their +x, +y and +z neighbours,
// skipping a pair equal to one of the last four it emitted.  Called twice:
// with pairs == 0 to count (counts[r]), then to write at offsets[r].

#define RECENT 4

__kernel void touching_pairs(__global const uint *labels, __global uint *counts,
                             __global const uint *offsets, __global uint *pairs,
                             const int write, const int nx, const int ny, const int nz)
{
    const int r = get_global_id(0);
    const int y = r % ny, z = r / ny;
    const long base = (long)r * nx;
    uint recent_lo[RECENT], recent_hi[RECENT];
    for (int k = 0; k < RECENT; ++k)
        recent_lo[k] = recent_hi[k] = 0;
    int slot = 0;
    uint count = 0, at = write ? offsets[r] : 0;
    for (int x = 0; x < nx; ++x) {
        const uint a = labels[base + x];
        if (a == 0)
            continue;
        uint others[3];
        others[0] = x + 1 < nx ? labels[base + x + 1] : 0u;
        others[1] = y + 1 < ny ? labels[base + x + nx] : 0u;
        others[2] = z + 1 < nz ? labels[base + x + (long)nx * ny] : 0u;
        for (int d = 0; d < 3; ++d) {
            const uint b = others[d];
            if (b == 0 || b == a)
                continue;
            const uint lo = min(a, b), hi = max(a, b);
            int seen = 0;
            for (int k = 0; k < RECENT; ++k)
                seen |= recent_lo[k] == lo && recent_hi[k] == hi;
            if (seen)
                continue;
            recent_lo[slot] = lo;
            recent_hi[slot] = hi;
            slot = (slot + 1) % RECENT;
            if (write) {
                pairs[2 * at] = lo;
                pairs[2 * at + 1] = hi;
                ++at;
            } else {
                ++count;
            }
        }
    }
    if (!write)
        counts[r] = count;
}
