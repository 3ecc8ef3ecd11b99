/* model.c - what the window shows: value rows with their histories, and
 * the task tree.
 *
 * A model is fed either live, by the window's observer (view.c), or from a
 * recording (purr__vm_load_recording, for `purr view` and `purr plot`).
 * Rows keep creation order, which is the values' id order, so a scene
 * draws the same on every run. Every datum in the model is a copy owned
 * by it; nothing borrowed from the loop outlives an observer callback
 * except a row's purr_value pointer, which is cleared when the value is
 * closed.
 */
#include "view_int.h"

#include <purr/recorder.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (!q) {
        fprintf(stderr, "purr: out of memory (%zu bytes)\n", size);
        abort();
    }
    return q;
}

void
purr__vm_init(purr__view_model *vm)
{
    memset(vm, 0, sizeof *vm);
}

void
purr__vm_close(purr__view_model *vm)
{
    for (size_t i = 0; i < vm->row_count; i++) {
        purr__vm_row *row = &vm->rows[i];
        for (size_t j = 0; j < row->count; j++)
            purr_datum_free(&row->points[j].datum);
        free(row->points);
    }
    free(vm->rows);
    free(vm->tasks);
    free(vm->tev);
    free(vm->tinfo);
    for (size_t i = 0; i < vm->detail_count; i++)
        free(vm->details[i]);
    free(vm->details);
    free(vm->base.tasks);
    free(vm->at.tasks);
    free(vm->shown.tasks);
    for (size_t i = 0; i < vm->ckpt_count; i++)
        free(vm->ckpt[i].tasks);
    free(vm->ckpt);
    memset(vm, 0, sizeof *vm);
}

purr__vm_row *
purr__vm_find_id(purr__view_model *vm, uint64_t id)
{
    for (size_t i = 0; i < vm->row_count; i++)
        if (vm->rows[i].id == id)
            return &vm->rows[i];
    return NULL;
}

purr__vm_row *
purr__vm_find(purr__view_model *vm, const char *name)
{
    for (size_t i = 0; i < vm->row_count; i++)
        if (strcmp(vm->rows[i].name, name) == 0)
            return &vm->rows[i];
    return NULL;
}

/* Widens the row's numeric range to include d (bools count as 0 and 1). */
static void
widen(purr__vm_row *row, const purr_datum *d)
{
    double x;
    switch (d->type) {
    case PURR_T_INT:
        x = (double)d->u.i;
        break;
    case PURR_T_DOUBLE:
        x = d->u.d;
        break;
    default:
        return;
    }
    if (x != x)
        return; /* a NaN has no place on an axis */
    if (!row->has_range) {
        row->min = row->max = x;
        row->has_range = true;
    } else if (x < row->min) {
        row->min = x;
    } else if (x > row->max) {
        row->max = x;
    }
}

static void
push_point(purr__vm_row *row, purr_time time_ns, const purr_datum *d)
{
    if (row->count == PURR__VM_MAX_POINTS) {
        /* Drop the oldest half but keep the first point: it is what the
         * value was before anything the timelines still show. */
        size_t drop = row->count / 2;
        for (size_t j = 1; j <= drop; j++)
            purr_datum_free(&row->points[j].datum);
        memmove(&row->points[1], &row->points[drop + 1],
                (row->count - drop - 1) * sizeof *row->points);
        row->count -= drop;
    }
    if (row->count == row->cap) {
        row->cap = row->cap ? 2 * row->cap : 16;
        row->points = xrealloc(row->points, row->cap * sizeof *row->points);
    }
    row->points[row->count].time_ns = time_ns;
    row->points[row->count].datum = purr_datum_copy(d);
    row->count++;
    widen(row, d);
}

purr__vm_row *
purr__vm_add(purr__view_model *vm, uint64_t id, const char *name,
             purr_role role, purr_type type, purr_time time_ns,
             const purr_datum *initial)
{
    purr__vm_row *row = purr__vm_find_id(vm, id);
    if (row)
        return row;
    if (vm->row_count == vm->row_cap) {
        vm->row_cap = vm->row_cap ? 2 * vm->row_cap : 16;
        vm->rows = xrealloc(vm->rows, vm->row_cap * sizeof *vm->rows);
    }
    row = &vm->rows[vm->row_count++];
    memset(row, 0, sizeof *row);
    row->id = id;
    snprintf(row->name, sizeof row->name, "%s", name);
    row->role = role;
    row->type = type;
    purr_datum nil = purr_datum_nil();
    push_point(row, time_ns, initial ? initial : &nil);
    return purr__panel_place_row(vm, vm->row_count - 1);
}

void
purr__vm_set(purr__view_model *vm, purr__vm_row *row, purr_time time_ns,
             const purr_datum *d)
{
    push_point(row, time_ns, d);
    vm->transitions++;
    if (time_ns > vm->now_ns)
        vm->now_ns = time_ns;
}

const purr_datum *
purr__vm_current(const purr__vm_row *row)
{
    return &row->points[row->count - 1].datum;
}

const purr_datum *
purr__vm_at(const purr__vm_row *row, purr_time time_ns)
{
    /* The last point with time <= time_ns: binary search. Points of equal
     * time keep their order, so the last of them wins, as it did live. */
    size_t lo = 0, hi = row->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (row->points[mid].time_ns <= time_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return &row->points[lo ? lo - 1 : 0].datum;
}

bool
purr__vm_row_next(const purr__vm_row *row, purr_time t, int dir, purr_time *out)
{
    /* lo: the first point with time > t. */
    size_t lo = 0, hi = row->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (row->points[mid].time_ns <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (dir > 0) {
        if (lo == 0) /* the first point is the initial datum, not a
                        transition: skip it */
            lo = 1;
        if (lo >= row->count)
            return false;
        *out = row->points[lo].time_ns;
        return true;
    }
    /* The last point with time < t, not the first. */
    size_t i = lo;
    while (i > 1 && row->points[i - 1].time_ns >= t)
        i--;
    if (i <= 1)
        return false;
    *out = row->points[i - 1].time_ns;
    return true;
}

bool
purr__vm_next(const purr__view_model *vm, purr_time t, int dir, purr_time *out)
{
    bool found = false;
    for (size_t i = 0; i < vm->row_count; i++) {
        purr_time x;
        if (!purr__vm_row_next(&vm->rows[i], t, dir, &x))
            continue;
        if (!found || (dir > 0 ? x < *out : x > *out))
            *out = x;
        found = true;
    }
    return found;
}

/* ---------------------------------------------------------------------- */
/* Tasks                                                                   */
/* ---------------------------------------------------------------------- */

/* Checkpoints of the task tree every CK events: a seek backwards starts
 * from the one before it, not from the first event. */
#define CK 8192

static void
tree_copy(purr__vm_tree *dst, const purr__vm_tree *src)
{
    if (dst->cap < src->count) {
        dst->cap = src->count;
        dst->tasks = xrealloc(dst->tasks, dst->cap * sizeof *dst->tasks);
    }
    if (src->count)
        memcpy(dst->tasks, src->tasks, src->count * sizeof *src->tasks);
    dst->count = src->count;
}

static purr__vm_task *
tree_find(purr__vm_tree *t, uint64_t id)
{
    /* Recent tasks are the likeliest: search from the end. */
    for (size_t i = t->count; i-- > 0;)
        if (t->tasks[i].id == id)
            return &t->tasks[i];
    return NULL;
}

static const purr__vm_task_info *
info_find(const purr__view_model *vm, uint64_t id)
{
    if (vm->tinfo_unsorted) {
        for (size_t i = vm->tinfo_count; i-- > 0;)
            if (vm->tinfo[i].id == id)
                return &vm->tinfo[i];
        return NULL;
    }
    size_t lo = 0, hi = vm->tinfo_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vm->tinfo[mid].id == id)
            return &vm->tinfo[mid];
        if (vm->tinfo[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Applies one event to a tree. */
static void
tree_apply(const purr__view_model *vm, purr__vm_tree *tree,
           const purr__vm_task_ev *ev)
{
    purr__vm_task *t = tree_find(tree, ev->task_id);
    if (ev->kind == PURR_EV_TASK_ENDED) {
        if (t) {
            size_t i = (size_t)(t - tree->tasks);
            memmove(t, t + 1, (tree->count - i - 1) * sizeof *t);
            tree->count--;
        }
        return;
    }
    if (!t) {
        if (ev->task_id == 0)
            return;
        if (tree->count == tree->cap) {
            tree->cap = tree->cap ? 2 * tree->cap : 16;
            tree->tasks = xrealloc(tree->tasks, tree->cap * sizeof *t);
        }
        t = &tree->tasks[tree->count++];
        memset(t, 0, sizeof *t);
        t->id = ev->task_id;
        const purr__vm_task_info *info = info_find(vm, ev->task_id);
        if (info) {
            t->parent_id = info->parent_id;
            memcpy(t->name, info->name, sizeof t->name);
        } else {
            snprintf(t->name, sizeof t->name, "?");
        }
    }
    switch (ev->kind) {
    case PURR_EV_TASK_STARTED:
        t->state = PURR__VM_RUNNING;
        break;
    case PURR_EV_TASK_BLOCKED:
        t->state = PURR__VM_BLOCKED;
        snprintf(t->detail, sizeof t->detail, "%s",
                 ev->detail ? vm->details[ev->detail - 1] : "");
        break;
    case PURR_EV_TASK_WOKEN:
    case PURR_EV_TASK_SPAWNED:
        t->state = PURR__VM_READY;
        t->detail[0] = '\0';
        break;
    default:
        break;
    }
}

static uint32_t
intern_detail(purr__view_model *vm, const char *detail)
{
    if (!detail)
        return 0;
    for (size_t i = vm->detail_count; i-- > 0;)
        if (strcmp(vm->details[i], detail) == 0)
            return (uint32_t)i + 1;
    if (vm->detail_count == vm->detail_cap) {
        vm->detail_cap = vm->detail_cap ? 2 * vm->detail_cap : 16;
        vm->details =
            xrealloc(vm->details, vm->detail_cap * sizeof *vm->details);
    }
    size_t len = strlen(detail);
    char *copy = xrealloc(NULL, len + 1);
    memcpy(copy, detail, len + 1);
    vm->details[vm->detail_count++] = copy;
    return (uint32_t)vm->detail_count;
}

/* Drops the oldest half of the history, folding it into vm->base. */
static void
fold_history(purr__view_model *vm)
{
    size_t drop = vm->tev_count / 2;
    for (size_t i = 0; i < drop; i++)
        tree_apply(vm, &vm->base, &vm->tev[i]);
    memmove(vm->tev, vm->tev + drop, (vm->tev_count - drop) * sizeof *vm->tev);
    vm->tev_count -= drop;
    for (size_t i = 0; i < vm->ckpt_count; i++)
        free(vm->ckpt[i].tasks);
    vm->ckpt_count = 0;
    vm->at_k = 0;
    tree_copy(&vm->at, &vm->base);
}

void
purr__vm_add_task_event(purr__view_model *vm, purr_time time_ns,
                        purr_event_kind kind, uint64_t task_id,
                        uint64_t parent_id, const char *name,
                        const char *detail)
{
    if (task_id == 0)
        return;
    if (time_ns > vm->now_ns)
        vm->now_ns = time_ns;
    if (!info_find(vm, task_id)) {
        if (vm->tinfo_count == vm->tinfo_cap) {
            vm->tinfo_cap = vm->tinfo_cap ? 2 * vm->tinfo_cap : 64;
            vm->tinfo = xrealloc(vm->tinfo, vm->tinfo_cap * sizeof *vm->tinfo);
        }
        if (vm->tinfo_count && vm->tinfo[vm->tinfo_count - 1].id > task_id)
            vm->tinfo_unsorted = true;
        purr__vm_task_info *info = &vm->tinfo[vm->tinfo_count++];
        memset(info, 0, sizeof *info);
        info->id = task_id;
        info->parent_id = parent_id;
        snprintf(info->name, sizeof info->name, "%s",
                 name && name[0] ? name : "?");
    }
    if (vm->tev_count == PURR__VM_MAX_TASK_EVENTS)
        fold_history(vm);
    if (vm->tev_count == vm->tev_cap) {
        vm->tev_cap = vm->tev_cap ? 2 * vm->tev_cap : 256;
        vm->tev = xrealloc(vm->tev, vm->tev_cap * sizeof *vm->tev);
    }
    purr__vm_task_ev *ev = &vm->tev[vm->tev_count++];
    memset(ev, 0, sizeof *ev);
    ev->time_ns = time_ns;
    ev->task_id = task_id;
    ev->kind = (uint8_t)kind;
    ev->detail = kind == PURR_EV_TASK_BLOCKED ? intern_detail(vm, detail) : 0;
    /* The latest tree. */
    purr__vm_tree latest = {vm->tasks, vm->task_count, vm->task_cap};
    tree_apply(vm, &latest, ev);
    vm->tasks = latest.tasks;
    vm->task_count = latest.count;
    vm->task_cap = latest.cap;
}

void
purr__vm_task_event(purr__view_model *vm, const purr_trace *ev)
{
    purr__vm_add_task_event(
        vm, ev->time_ns, ev->kind, ev->task_id, ev->parent_task_id,
        ev->task ? purr_task_name(ev->task) : NULL, ev->detail);
}

static int
cmp_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The number of events with time < t. */
static size_t
events_before(const purr__view_model *vm, purr_time t)
{
    size_t lo = 0, hi = vm->tev_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vm->tev[mid].time_ns < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const purr__vm_task *
purr__vm_tasks_at(purr__view_model *vm, purr_time t, size_t *n)
{
    size_t k = events_before(vm, t);
    /* vm->at holds the tree after tev[0, at_k): go forward from it, or
     * from the last checkpoint at or before k. */
    if (k < vm->at_k) {
        size_t c = k / CK;
        if (c > 0 && c <= vm->ckpt_count) {
            tree_copy(&vm->at, &vm->ckpt[c - 1]);
            vm->at_k = c * CK;
        } else {
            tree_copy(&vm->at, &vm->base);
            vm->at_k = 0;
        }
    }
    while (vm->at_k < k) {
        tree_apply(vm, &vm->at, &vm->tev[vm->at_k++]);
        if (vm->at_k % CK == 0 && vm->at_k / CK == vm->ckpt_count + 1) {
            vm->ckpt =
                xrealloc(vm->ckpt, (vm->ckpt_count + 1) * sizeof *vm->ckpt);
            memset(&vm->ckpt[vm->ckpt_count], 0, sizeof *vm->ckpt);
            tree_copy(&vm->ckpt[vm->ckpt_count++], &vm->at);
        }
    }
    /* The events at t itself, except those of a task that ends at t: it
     * is shown as it was before t (at the end of a run, what each task
     * was doing, not its cancellation). */
    tree_copy(&vm->shown, &vm->at);
    size_t k2 = k;
    while (k2 < vm->tev_count && vm->tev[k2].time_ns == t)
        k2++;
    size_t nended = 0;
    uint64_t *ended = NULL;
    for (size_t i = k; i < k2; i++)
        if (vm->tev[i].kind == PURR_EV_TASK_ENDED) {
            ended = xrealloc(ended, (nended + 1) * sizeof *ended);
            ended[nended++] = vm->tev[i].task_id;
        }
    if (nended)
        qsort(ended, nended, sizeof *ended, cmp_id);
    for (size_t i = k; i < k2; i++)
        if (!nended ||
            !bsearch(&vm->tev[i].task_id, ended, nended, sizeof *ended, cmp_id))
            tree_apply(vm, &vm->shown, &vm->tev[i]);
    free(ended);
    *n = vm->shown.count;
    return vm->shown.tasks;
}

/* ---------------------------------------------------------------------- */
/* Recordings                                                              */
/* ---------------------------------------------------------------------- */

int
purr__vm_load_recording(purr__view_model *vm, const char *path, char *title,
                        size_t title_cap, purr_diag *diag)
{
    purr_recording *rec;
    int rc = purr_recording_open(path, &rec, diag);
    if (rc < 0)
        return rc;
    if ((rc = purr__panel_load(&vm->panel, rec, diag)) < 0) {
        purr_recording_close(rec);
        return rc;
    }
    size_t n = purr_recording_value_count(rec);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const purr_recorded_value *v = purr_recording_value_at(rec, i);
        /* The datum at creation, exactly as recorded (a false stays
         * false): the row's first point. */
        purr__vm_add(vm, v->id, v->name, v->role, v->type, v->created_ns,
                     &v->initial);
        if (first || v->created_ns < vm->start_ns)
            vm->start_ns = v->created_ns;
        first = false;
    }
    purr_recording_iter it;
    if ((rc = purr_recording_iter_open(&it, rec)) < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot read the transitions");
        purr_recording_close(rec);
        return rc;
    }
    while ((rc = purr_recording_iter_next(&it, diag)) == 0) {
        purr__vm_row *row = purr__vm_find_id(vm, it.value->id);
        if (!row)
            continue;
        purr__vm_set(vm, row, it.time_ns, &it.datum);
        if (first || it.time_ns < vm->start_ns)
            vm->start_ns = it.time_ns;
        first = false;
    }
    purr_recording_iter_close(&it);
    if (rc != PURR_ECLOSED) {
        purr_recording_close(rec);
        return rc;
    }
    /* The task tree's history, from the task events. */
    purr_recording_task_iter ti;
    if ((rc = purr_recording_task_iter_open(&ti, rec, diag)) < 0) {
        purr_recording_close(rec);
        return rc;
    }
    while ((rc = purr_recording_task_iter_next(&ti, diag)) == 0)
        purr__vm_add_task_event(vm, ti.time_ns, ti.kind, ti.task_id,
                                ti.parent_task_id, ti.task_name, ti.detail);
    purr_recording_task_iter_close(&ti);
    if (rc != PURR_ECLOSED) {
        purr_recording_close(rec);
        return rc;
    }
    const char *end = purr_recording_meta(rec, "end_ns");
    if (end)
        vm->end_ns = (purr_time)strtoll(end, NULL, 10);
    if (vm->end_ns < vm->now_ns)
        vm->end_ns = vm->now_ns;
    if (title) {
        const char *scene = purr_recording_meta(rec, "scene");
        snprintf(title, title_cap, "%s%s%s", path, scene ? " - " : "",
                 scene ? scene : "");
    }
    purr_recording_close(rec);
    return 0;
}

void
purr__format_time(purr_time t, char *buf, size_t cap)
{
    if (t < 0)
        t = 0;
    long long ms = (long long)(t / PURR_MS);
    snprintf(buf, cap, "%lld:%02lld:%02lld.%03lld", ms / 3600000,
             ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}
