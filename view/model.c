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

/* ---------------------------------------------------------------------- */
/* Tasks                                                                   */
/* ---------------------------------------------------------------------- */

static purr__vm_task *
find_task(purr__view_model *vm, uint64_t id)
{
    for (size_t i = 0; i < vm->task_count; i++)
        if (vm->tasks[i].id == id)
            return &vm->tasks[i];
    return NULL;
}

void
purr__vm_task_event(purr__view_model *vm, const purr_trace *ev)
{
    purr__vm_task *t = find_task(vm, ev->task_id);
    if (ev->kind == PURR_EV_TASK_ENDED) {
        if (t) {
            size_t i = (size_t)(t - vm->tasks);
            memmove(t, t + 1, (vm->task_count - i - 1) * sizeof *t);
            vm->task_count--;
        }
        return;
    }
    if (!t) {
        if (ev->task_id == 0)
            return;
        if (vm->task_count == vm->task_cap) {
            vm->task_cap = vm->task_cap ? 2 * vm->task_cap : 16;
            vm->tasks = xrealloc(vm->tasks, vm->task_cap * sizeof *vm->tasks);
        }
        t = &vm->tasks[vm->task_count++];
        memset(t, 0, sizeof *t);
        t->id = ev->task_id;
        t->parent_id = ev->parent_task_id;
        snprintf(t->name, sizeof t->name, "%s",
                 ev->task ? purr_task_name(ev->task) : "?");
    }
    switch (ev->kind) {
    case PURR_EV_TASK_STARTED:
        t->state = PURR__VM_RUNNING;
        break;
    case PURR_EV_TASK_BLOCKED:
        t->state = PURR__VM_BLOCKED;
        snprintf(t->detail, sizeof t->detail, "%s",
                 ev->detail ? ev->detail : "");
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
    for (size_t i = 0; i < n; i++) {
        const purr_recorded_value *v = purr_recording_value_at(rec, i);
        /* The initial datum is not stored apart: the row starts as nil and
         * the first transition (at creation) gives the value. */
        purr__vm_add(vm, v->id, v->name, v->role, v->type, v->created_ns, NULL);
    }
    purr_recording_iter it;
    if ((rc = purr_recording_iter_open(&it, rec)) < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot read the transitions");
        purr_recording_close(rec);
        return rc;
    }
    bool first = true;
    while ((rc = purr_recording_iter_next(&it, diag)) == 0) {
        purr__vm_row *row = purr__vm_find_id(vm, it.value->id);
        if (!row)
            continue;
        if (row->count == 1 && row->points[0].datum.type == PURR_T_NIL &&
            it.time_ns <= row->points[0].time_ns) {
            /* Replaces the placeholder of a value's initial state. */
            purr_datum_free(&row->points[0].datum);
            row->points[0].datum = purr_datum_copy(&it.datum);
            widen(row, &it.datum);
        } else {
            purr__vm_set(vm, row, it.time_ns, &it.datum);
        }
        if (first || it.time_ns < vm->start_ns)
            vm->start_ns = it.time_ns;
        first = false;
        if (it.time_ns > vm->now_ns)
            vm->now_ns = it.time_ns;
    }
    purr_recording_iter_close(&it);
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
