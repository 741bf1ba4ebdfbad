// The label machinery of ops/_labels.py: connected-component labeling, sequential
// and raster-order numbering, touching labels, and seeded growth within a mask
// (at the end, one work-item per pixel of the growth front).
//
// Connected-component labeling of (z, y, x) images by runs: one work-item per
// image row (a line along x).
//
// A run is a maximal stretch of a row whose pixels belong together: foreground
// pixels (KEY_EQUAL 0) or pixels of one non-zero value (KEY_EQUAL 1, for
// "components of equal values").  A first pass lists each row's runs (start,
// end, value) in slots r * cap .. r * cap + count[r] - 1 (cap: the most runs a
// row can hold); the run's slot is its id.  Then the union-find works on runs,
// and each row merges its list with the lists of the rows before it that
// touch it: the work follows the number of runs, not of pixels.
//
// Union-find without locks (O. Kalentev et al. 2011; D. P. Playne and
// K. Hawick 2018), stored as offsets: up[i] = i - parent(i), 0 at a root.
// Unions only ever lower a root's parent (atomic_max of the offset), so a
// component's root is its smallest id: its first run in raster order.
// Numbering the roots in id order then gives labels in raster order, as
// scipy.ndimage.label does.
//
// Build options:
//   T_KEY          element type of the image
//   KEY_EQUAL      0: any non-zero pixels join; 1: only pixels of equal value
//   CONNECTIVITY   1: faces only ("diamond"); 3: also edges and corners ("box")

#include "runs.clh"
#include "neighbours.clh"

inline int find_root(volatile __global const int *up, int i)
{
    int step = up[i];
    while (step != 0) {
        i -= step;
        step = up[i];
    }
    return i;
}

// find_root that also shortens the path it walks (path halving: each node
// visited is pointed at its grandparent), so that the chains concurrent unions
// build stay short.  Pointers only ever move to a lower id of the same tree
// (atomic_max of the offset), as the unions' own updates do.
inline int find_root_halving(volatile __global int *up, int i)
{
    int step = up[i];
    while (step != 0) {
        const int parent = i - step;
        const int parent_step = up[parent];
        if (parent_step == 0)
            return parent;
        atomic_max(&up[i], step + parent_step);
        i = parent - parent_step;
        step = up[i];
    }
    return i;
}

inline void unite(volatile __global int *up, int a, int b)
{
    for (;;) {
        a = find_root_halving(up, a);
        b = find_root_halving(up, b);
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

// List the runs of each row; up[] of each run starts at 0 (a root).
__kernel void cc_runs(__global const T_KEY *image, __global int *starts, __global int *ends,
                      __global T_KEY *values, __global int *up, __global uint *run_count,
                      const int nx, const int cap)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    int id = r * cap;
    FOR_EACH_RUN({
        starts[id] = s;
        ends[id] = e;
#if KEY_EQUAL
        values[id] = v;
#endif
        up[id] = 0;
        ++id;
    })
    run_count[r] = id - r * cap;
}

#if CONNECTIVITY >= 2
#define REACH 1
#else
#define REACH 0
#endif

// Unite the runs of row r with the runs they touch in row q (q < r): runs
// [s, e) and [s', e') touch when s' < e + REACH and e' > s - REACH.
inline void merge_rows(__global const int *starts, __global const int *ends,
                       __global const T_KEY *values, volatile __global int *up,
                       const int r, const int nr, const int q, const int nq, const int cap)
{
    int j = q * cap;
    const int j_end = j + nq;
    for (int i = r * cap; i < r * cap + nr; ++i) {
        const int s = starts[i], e = ends[i];
        while (j < j_end && ends[j] <= s - REACH)
            ++j;
        for (int k = j; k < j_end && starts[k] < e + REACH; ++k) {
#if KEY_EQUAL
            if (values[k] != values[i])
                continue;
#endif
            unite(up, i, k);
        }
    }
}

// Each row merges with the rows before it that it touches: (z, y - 1), and
// for "box" (z - 1, y - 1 .. y + 1), for "diamond" (z - 1, y).
__kernel void cc_merge(__global const int *starts, __global const int *ends,
                       __global const T_KEY *values, volatile __global int *up,
                       __global const uint *run_count, const int ny, const int nz,
                       const int cap)
{
    const int r = get_global_id(0);
    const int nr = run_count[r];
    if (nr == 0)
        return;
    const int y = r % ny, z = r / ny;
    if (y > 0)
        merge_rows(starts, ends, values, up, r, nr, r - 1, run_count[r - 1], cap);
    if (z > 0) {
        const int plane = r - ny;
#if CONNECTIVITY >= 2
        for (int dy = -1; dy <= 1; ++dy)
            if (y + dy >= 0 && y + dy < ny)
                merge_rows(starts, ends, values, up, r, nr, plane + dy,
                           run_count[plane + dy], cap);
#else
        merge_rows(starts, ends, values, up, r, nr, plane, run_count[plane], cap);
#endif
    }
}

// Point every run straight at its root and count the roots of each row.
__kernel void cc_count(volatile __global int *up, __global const uint *run_count,
                       __global uint *counts, const int cap)
{
    const int r = get_global_id(0);
    uint count = 0;
    for (int i = r * cap; i < r * cap + (int)run_count[r]; ++i) {
        const int root = find_root(up, i);
        if (root == i)
            ++count;
        else
            up[i] = i - root;
    }
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

// Give each root run its label: 1 + the number of roots before it.
__kernel void cc_number(__global const int *up, __global const uint *run_count,
                        __global const uint *offsets, __global uint *run_label, const int cap)
{
    const int r = get_global_id(0);
    uint label = offsets[r];
    for (int i = r * cap; i < r * cap + (int)run_count[r]; ++i)
        if (up[i] == 0)
            run_label[i] = ++label;
}

// Write the label image: each run takes its root's label; background 0.
__kernel void cc_assign(__global const int *starts, __global const int *ends,
                        __global const int *up, __global const uint *run_count,
                        __global const uint *run_label, __global uint *labels,
                        const int nx, const int cap)
{
    const int r = get_global_id(0);
    const long base = (long)r * nx;
    int x = 0;
    for (int i = r * cap; i < r * cap + (int)run_count[r]; ++i) {
        const int s = starts[i], e = ends[i];
        const uint label = run_label[i - up[i]];
        for (; x < s; ++x)
            labels[base + x] = 0u;
        for (; x < e; ++x)
            labels[base + x] = label;
    }
    for (; x < nx; ++x)
        labels[base + x] = 0u;
}

// The same, one work-item per pixel (global size (nx, rows)), for GPUs: the
// work-items of a row write it together, contiguously; each finds its run by
// bisecting the row's run list (runs are sorted along the row).
__kernel void cc_assign_pixels(__global const int *starts, __global const int *ends,
                               __global const int *up, __global const uint *run_count,
                               __global const uint *run_label, __global uint *labels,
                               const int nx, const int cap)
{
    const int x = get_global_id(0), r = get_global_id(1);
    if (x >= nx)
        return;
    int low = r * cap, high = low + (int)run_count[r];  // the run is in [low, high)
    uint label = 0u;
    if (high > low && starts[low] <= x) {
        while (high - low > 1) {  // invariant: starts[low] <= x, x < starts[high]
            const int middle = (low + high) / 2;
            if (starts[middle] <= x)
                low = middle;
            else
                high = middle;
        }
        if (x < ends[low])
            label = run_label[low - up[low]];
    }
    labels[(long)r * nx + x] = label;
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

// --- growth within a mask ------------------------------------------------------
// Seeded growth within a mask, front by front.  A step visits the pixels
// labelled in the step before (and, for a "box" step, in the one before that:
// their corner neighbours were out of reach of the face step between); each
// claims its unlabelled mask neighbours with atomic_min on `claim` (UINT_MAX
// where unclaimed), so a pixel reached by several labels gets the smallest.
// The first claimant appends the pixel to the next front.

// The labelled pixels (inside the mask) form the first front.
__kernel void front_seeds(__global const uint *labels, __global int *front,
                          volatile __global int *count)
{
    const int i = get_global_id(0);
    if (labels[i])
        front[atomic_inc(count)] = i;
}

__kernel void front_step(__global const uint *labels, __global const uchar *mask,
                         volatile __global uint *claim, __global const int *front,
                         const int front_size, __global int *next,
                         volatile __global int *next_size, const int box,
                         const int nx, const int ny, const int nz)
{
    if (get_global_id(0) >= (size_t)front_size)
        return;
    const int i = front[get_global_id(0)];
    const int x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
    const long here = i;
    const uint label = labels[i];
#define CLAIM                                                                   \
    if (labels[j] == 0 && mask[j] && claim[j] > label) {                        \
        if (atomic_min(&claim[j], label) == UINT_MAX)                           \
            next[atomic_inc(next_size)] = (int)j;                               \
    }
    if (box) {
        ALL_NEIGHBOURS(CLAIM)
    } else {
        FACES(CLAIM)
    }
#undef CLAIM
}

// The claimed pixels take their labels.
__kernel void front_settle(__global uint *labels, __global const uint *claim,
                           __global const int *front, const int front_size)
{
    if (get_global_id(0) >= (size_t)front_size)
        return;
    const int i = front[get_global_id(0)];
    labels[i] = claim[i];
}

// out = a where mask is non-zero, else 0.
__kernel void mask_labels(__global const uint *a, __global const uchar *mask,
                          __global uint *out)
{
    const size_t i = get_global_id(0);
    out[i] = mask[i] ? a[i] : 0u;
}
