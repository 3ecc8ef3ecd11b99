/* test_replace.c - where the recorder writes, and how a recording is
 * published: a new file in place; an existing one (overwrite) through a
 * temporary file renamed over it only at a successful close, so that a
 * killed run or a failed close leaves the old file byte for byte and a
 * failed close leaves no temporary file; purr_recorder_discard deletes
 * what the recorder wrote. */
#include "rec_files.h"

#define TMP_PREFIX ".run.db.purr-tmp-"

static const purr_recorder_options overwrite = {.overwrite = true};

/* dir/run.db, recorded with count transitions, and a snapshot of dir. */
static void
old_recording(char *dir, size_t dcap, char *path, size_t pcap, int64_t count,
              dir_snap *s)
{
    fresh_dir(dir, dcap);
    snprintf(path, pcap, "%s/run.db", dir);
    record_counter(path, NULL, count);
    snap_take(dir, s);
}

Test(replace, new_file_is_written_in_place)
{
    char dir[256], path[512];
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.db", dir);
    purr_loop *loop;
    purr_recorder *r = counter_start(path, NULL, 300, NULL, &loop);
    dir_snap s;
    snap_take(dir, &s);
    cr_assert_eq(snap_count(&s, "run.db", NULL, 0), s.n, "no temporary file");
    cr_assert_eq(snap_count(&s, "run.db", NULL, 0), 3, "run.db, -wal, -shm");
    snap_free(&s);
    purr_assert_ok(purr_recorder_close(r, NULL));
    cr_assert_eq(purr_loop_close(loop), 0);
    snap_take(dir, &s);
    cr_assert_eq(s.n, 1, "a single file");
    snap_free(&s);
    cr_assert_eq(read_counter(path), 300);
}

Test(replace, replacement_is_a_temporary_file_until_close)
{
    char dir[256], path[512], tmp[128];
    dir_snap old, s;
    old_recording(dir, sizeof dir, path, sizeof path, 10, &old);
    purr_loop *loop;
    purr_recorder *r = counter_start(path, &overwrite, 400, NULL, &loop);
    purr_assert_ok(purr_recorder_flush(r));
    snap_take(dir, &s);
    /* The old file is untouched while the run writes beside it. */
    snap_assert_same(&old, &s, TMP_PREFIX, "during the run");
    cr_assert_eq(snap_count(&s, TMP_PREFIX, tmp, sizeof tmp), 3,
                 "the temporary file, its -wal and -shm");
    cr_assert_eq(strlen(tmp), strlen(TMP_PREFIX) + 6, "%s", tmp);
    snap_free(&s);
    cr_assert_eq(read_counter(path), 10);
    purr_assert_ok(purr_recorder_close(r, NULL));
    cr_assert_eq(purr_loop_close(loop), 0);
    snap_take(dir, &s);
    cr_assert_eq(s.n, 1, "only run.db");
    cr_assert_str_eq(s.f[0].name, "run.db");
    snap_free(&s);
    snap_free(&old);
    cr_assert_eq(read_counter(path), 400);
}

Test(replace, killed_replacement_leaves_the_old_file)
{
    char dir[256], path[512], tmp[128], tmp_path[600];
    dir_snap old, s;
    old_recording(dir, sizeof dir, path, sizeof path, 10, &old);
    record_killed(path, &overwrite, 2000);
    snap_take(dir, &s);
    snap_assert_same(&old, &s, TMP_PREFIX, "after the kill");
    cr_assert_eq(read_counter(path), 10);
    /* The killed run's prefix is in the temporary file, readable. */
    cr_assert_geq(snap_count(&s, TMP_PREFIX, tmp, sizeof tmp), 1);
    snprintf(tmp_path, sizeof tmp_path, "%s/%s", dir, tmp);
    cr_assert_eq(read_counter(tmp_path), 2000);
    snap_free(&s);
    snap_free(&old);
}

Test(replace, killed_replacement_of_a_killed_recording_leaves_its_wal)
{
    char dir[256], path[512], wal[600];
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.db", dir);
    record_killed(path, NULL, 700);
    cr_assert(exists(beside(wal, sizeof wal, path, "-wal")));
    dir_snap old, s;
    snap_take(dir, &old);
    record_killed(path, &overwrite, 2000);
    snap_take(dir, &s);
    snap_assert_same(&old, &s, TMP_PREFIX, "old run.db, -wal and -shm");
    snap_free(&s);
    snap_free(&old);
    cr_assert_eq(read_counter(path), 700);
}

Test(replace, replacing_a_killed_recording_deletes_its_wal)
{
    /* The old -wal would be read into the new file by SQLite. */
    char dir[256], path[512], buf[600];
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.db", dir);
    record_killed(path, NULL, 700);
    record_counter(path, &overwrite, 40);
    cr_assert(!exists(beside(buf, sizeof buf, path, "-wal")));
    cr_assert(!exists(beside(buf, sizeof buf, path, "-shm")));
    dir_snap s;
    snap_take(dir, &s);
    cr_assert_eq(s.n, 1);
    snap_free(&s);
    cr_assert_eq(read_counter(path), 40);
    /* And the sqlite3 shell's way of reading (a read-write open, which
     * would pick up a -wal) sees the new file too. */
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT sum(count) FROM transition_chunk",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int64(st, 0), 40);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(replace, failed_close_keeps_the_old_file_and_no_temporary)
{
    char dir[256], path[512];
    dir_snap old, s;
    old_recording(dir, sizeof dir, path, sizeof path, 10, &old);
    purr_loop *loop;
    purr_diag diag;
    /* Two values named "counter": the value table refuses the second. */
    purr_recorder *r = counter_start(path, &overwrite, 50, "counter", &loop);
    purr_assert_err(purr_recorder_close(r, &diag), PURR_EEXIST);
    cr_assert_str_eq(diag.file, path);
    cr_assert_eq(purr_loop_close(loop), 0);
    snap_take(dir, &s);
    snap_assert_same(&old, &s, NULL, "after a failed close");
    snap_free(&s);
    snap_free(&old);
}

Test(replace, failed_rename_is_reported_and_leaves_no_temporary)
{
    char dir[256], path[512], inside[600];
    dir_snap old, s;
    old_recording(dir, sizeof dir, path, sizeof path, 10, &old);
    snap_free(&old);
    purr_loop *loop;
    purr_diag diag;
    purr_recorder *r = counter_start(path, &overwrite, 50, NULL, &loop);
    /* path becomes a non-empty directory: rename cannot replace it. */
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(inside, sizeof inside, "%s/x", path);
    fclose(fopen(inside, "w"));
    purr_assert_err(purr_recorder_close(r, &diag), PURR_EIO);
    cr_assert_str_eq(diag.file, path);
    cr_assert(strstr(diag.message, "cannot rename"), "%s", diag.message);
    cr_assert_eq(purr_loop_close(loop), 0);
    snap_take(dir, &s);
    cr_assert_eq(snap_count(&s, TMP_PREFIX, NULL, 0), 0);
    cr_assert_eq(s.n, 1, "only the directory run.db");
    snap_free(&s);
}

Test(replace, replacement_keeps_the_permission_bits)
{
    char dir[256], path[512];
    dir_snap old;
    old_recording(dir, sizeof dir, path, sizeof path, 10, &old);
    snap_free(&old);
    cr_assert_eq(chmod(path, 0640), 0);
    record_counter(path, &overwrite, 20);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0640);
}

Test(replace, existing_directory_is_refused_at_open)
{
    char dir[256], path[512];
    purr_diag diag;
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.db", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    cr_assert_null(purr_recorder_open(path, &overwrite, &diag));
    cr_assert_str_eq(diag.message, "cannot replace: is a directory");
    dir_snap s;
    snap_take(dir, &s);
    cr_assert_eq(s.n, 1);
    snap_free(&s);
}

Test(replace, discarding_a_new_file_leaves_nothing)
{
    char dir[256], path[512];
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.db", dir);
    purr_loop *loop;
    purr_recorder *r = counter_start(path, NULL, 300, NULL, &loop);
    purr_assert_ok(purr_recorder_discard(r, NULL));
    cr_assert_eq(purr_loop_close(loop), 0);
    dir_snap s;
    snap_take(dir, &s);
    cr_assert_eq(s.n, 0);
    snap_free(&s);
    purr_assert_ok(purr_recorder_discard(NULL, NULL));
}

Test(replace, discarding_a_replacement_keeps_the_old_file)
{
    char dir[256], path[512];
    dir_snap old, s;
    old_recording(dir, sizeof dir, path, sizeof path, 10, &old);
    purr_loop *loop;
    /* A failed recording is discarded all the same, without an error. */
    purr_recorder *r = counter_start(path, &overwrite, 300, "counter", &loop);
    purr_assert_ok(purr_recorder_discard(r, NULL));
    cr_assert_eq(purr_loop_close(loop), 0);
    snap_take(dir, &s);
    snap_assert_same(&old, &s, NULL, "after discard");
    snap_free(&s);
    snap_free(&old);
}
