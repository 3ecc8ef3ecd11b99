/* report.c - the replay report for people (text) and for CI (JUnit XML).
 *
 * A report is plain data filled by purr_replay_check; this file only
 * renders it. Times are printed in seconds with all nine decimals, since
 * a divergence of one nanosecond is still a divergence.
 */
#include "replay_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
purr__replay_row_set(purr_replay_row *row, uint64_t seq, purr_time time_ns,
                     const char *value, const purr_datum *d)
{
    row->seq = seq;
    row->time_ns = time_ns;
    snprintf(row->value, sizeof row->value, "%s", value);
    size_t n = purr_datum_format(d, row->text, sizeof row->text);
    if (n >= sizeof row->text)
        memcpy(row->text + sizeof row->text - 4, "...", 4);
}

/* Writes time_ns as seconds with nine decimals into buf. */
static const char *
secs(char *buf, size_t cap, purr_time time_ns)
{
    const char *sign = time_ns < 0 ? "-" : "";
    uint64_t t = time_ns < 0 ? -(uint64_t)time_ns : (uint64_t)time_ns;
    snprintf(buf, cap, "%s%" PRIu64 ".%09" PRIu64, sign, t / 1000000000,
             t % 1000000000);
    return buf;
}

static void
print_row(FILE *out, const char *tag, const purr_replay_row *row)
{
    char t[32];
    fprintf(out, "  %-9s t=%ss  %s = %s\n", tag, secs(t, sizeof t,
                                                      row->time_ns),
            row->value, row->text);
}

static const char *
outcome_text(purr_replay_outcome o)
{
    switch (o) {
    case PURR_REPLAY_IDENTICAL:
        return "identical";
    case PURR_REPLAY_DIFFERENT:
        return "DIVERGED: a transition differs";
    case PURR_REPLAY_MISSING:
        return "DIVERGED: a recorded transition is missing";
    case PURR_REPLAY_EXTRA:
        return "DIVERGED: an extra transition after the recording's last";
    case PURR_REPLAY_ERROR:
        return "ERROR";
    case PURR_REPLAY_INTERRUPTED:
        return "interrupted recording: the transitions kept replayed "
               "identically";
    }
    return "?";
}

/* Writes time_ns as HH:MM:SS.mmm (hours may exceed 24), with the digits
 * below the millisecond when there are any: a divergence of 1 ns shows. */
static const char *
clock_time(char *buf, size_t cap, purr_time time_ns)
{
    purr_time t = time_ns < 0 ? 0 : time_ns;
    size_t n = purr_time_format(t, buf, cap);
    int64_t sub = t % PURR_MS;
    if (sub && n < cap)
        snprintf(buf + n, cap - n, "%06" PRId64, sub);
    return buf;
}

void
purr_replay_report_summary(FILE *out, const purr_replay_report *rep)
{
    char t1[40], t2[40];
    const purr_replay_row *e = &rep->expected_row, *a = &rep->actual_row;
    /* Said first: whatever follows is about the prefix only. */
    if (rep->interrupted && rep->outcome != PURR_REPLAY_ERROR)
        fprintf(out, "%s: recording interrupted at %s: %" PRIu64
                     " transition%s kept\n",
                rep->file, clock_time(t1, sizeof t1, rep->cut_ns), rep->kept,
                rep->kept == 1 ? "" : "s");
    switch (rep->outcome) {
    case PURR_REPLAY_ERROR: {
        char line[sizeof rep->diag.file + sizeof rep->diag.message + 48];
        purr_diag_format(&rep->diag, line, sizeof line);
        fprintf(out, "%s\n", line);
        return;
    }
    case PURR_REPLAY_INTERRUPTED:
        if (rep->kept == 0) {
            fprintf(out, "%s: interrupted recording: no transition kept, "
                         "nothing compared\n",
                    rep->file);
            return;
        }
        fprintf(out, "%s: interrupted recording: the %" PRIu64
                     " transition%s kept replayed identically (%" PRIu64
                     " compared, %" PRIu64 " inputs fed)\n",
                rep->file, rep->kept, rep->kept == 1 ? "" : "s",
                rep->matching, rep->inputs);
        return;
    case PURR_REPLAY_IDENTICAL:
        if (!rep->checked)
            fprintf(out, "%s: replayed, nothing to compare (inputs only: "
                         "%" PRIu64 " inputs fed, %" PRIu64 " transitions "
                         "made)\n",
                    rep->file, rep->inputs, rep->produced);
        else
            fprintf(out, "%s: identical (%" PRIu64 " transitions, %" PRIu64
                         " inputs fed)\n",
                    rep->file, rep->matching, rep->inputs);
        return;
    case PURR_REPLAY_MISSING:
        fprintf(out, "%s: DIVERGED at %s %s: expected %s, got nothing (the "
                     "run ended)\n",
                rep->file, clock_time(t1, sizeof t1, e->time_ns), e->value,
                e->text);
        return;
    case PURR_REPLAY_EXTRA:
        fprintf(out, "%s: DIVERGED at %s %s: expected nothing more, got "
                     "%s\n",
                rep->file, clock_time(t1, sizeof t1, a->time_ns), a->value,
                a->text);
        return;
    case PURR_REPLAY_DIFFERENT:
        if (strcmp(e->value, a->value) == 0 && e->time_ns == a->time_ns)
            fprintf(out, "%s: DIVERGED at %s %s: expected %s, got %s\n",
                    rep->file, clock_time(t1, sizeof t1, e->time_ns),
                    e->value, e->text, a->text);
        else
            fprintf(out, "%s: DIVERGED at %s: expected %s = %s, got %s = %s "
                         "at %s\n",
                    rep->file, clock_time(t1, sizeof t1, e->time_ns),
                    e->value, e->text, a->value, a->text,
                    clock_time(t2, sizeof t2, a->time_ns));
        return;
    }
}

void
purr_replay_report_print(FILE *out, const purr_replay_report *rep)
{
    if (rep->outcome == PURR_REPLAY_ERROR) {
        fprintf(out, "%s: ERROR: %s\n", rep->file, rep->diag.message);
        return;
    }
    fprintf(out, "%s: %s (%" PRIu64 " of %" PRIu64 " transitions matched, %"
                 PRIu64 " inputs fed)\n",
            rep->file, outcome_text(rep->outcome), rep->matching,
            rep->expected, rep->inputs);
    if (rep->interrupted) {
        char t[40];
        fprintf(out, "  the recording was interrupted: its run was killed "
                     "after transition %" PRIu64 ", at %s; the replay ran to "
                     "there (%" PRIu64 " transitions after it not "
                     "compared)\n",
                rep->kept, clock_time(t, sizeof t, rep->cut_ns),
                rep->past_cut);
    }
    if (rep->outcome == PURR_REPLAY_IDENTICAL ||
        rep->outcome == PURR_REPLAY_INTERRUPTED)
        return;
    if (rep->nbefore)
        fprintf(out, "  the %zu transitions before it (matching):\n",
                rep->nbefore);
    for (size_t i = 0; i < rep->nbefore; i++)
        print_row(out, "", &rep->before[i]);
    if (rep->has_expected)
        print_row(out, "expected", &rep->expected_row);
    else
        fprintf(out, "  expected  nothing more\n");
    if (rep->has_actual)
        print_row(out, "actual", &rep->actual_row);
    else
        fprintf(out, "  actual    nothing (the run ended)\n");
    fprintf(out, "  matching %" PRIu64 ", missing %" PRIu64 ", extra %" PRIu64
                 "\n",
            rep->matching, rep->missing, rep->extra);
}

/* Writes s with XML's five special characters escaped, and other control
 * bytes as spaces (XML 1.0 cannot carry them). */
static void
xml_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        default:
            fputc(ch < 0x20 && ch != '\n' && ch != '\t' ? ' ' : ch, out);
        }
    }
}

int
purr_replay_junit(const char *path, const purr_replay_report *reports,
                  size_t n)
{
    purr_output out;
    if (purr_output_open(&out, path, NULL) < 0)
        return PURR_EIO;
    if (purr_replay_junit_write(out.file, reports, n) < 0) {
        purr_output_discard(&out);
        return PURR_EIO;
    }
    return purr_output_close(&out, NULL);
}

int
purr_replay_junit_write(FILE *out, const purr_replay_report *reports,
                        size_t n)
{
    return purr_replay_junit_write_cases(out, reports, n, NULL, 0);
}

/* Writes the testsuite of the runner's own verdicts (the cases). */
static void
junit_cases(FILE *out, const purr_replay_report *reports, size_t n,
            const purr_replay_case *cases, size_t ncases)
{
    size_t failures = 0, skipped = 0;
    for (size_t i = 0; i < ncases; i++) {
        failures += cases[i].failed && !cases[i].skipped;
        skipped += cases[i].skipped;
    }
    fprintf(out, "  <testsuite name=\"purr-replay-expect\" tests=\"%zu\" "
                 "failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
            ncases, failures, skipped);
    for (size_t i = 0; i < ncases; i++) {
        const purr_replay_case *c = &cases[i];
        fputs("    <testcase classname=\"purr.replay.expect\" name=\"", out);
        xml_escape(out, c->report < n ? reports[c->report].file : "?");
        fputs(": ", out);
        xml_escape(out, c->name ? c->name : "");
        fputs("\">\n", out);
        if (c->skipped) {
            fputs("      <skipped message=\"not judged\">", out);
            xml_escape(out, c->message ? c->message : "");
            fputs("</skipped>\n", out);
        } else if (c->failed) {
            fputs("      <failure message=\"expectation failed\">", out);
            xml_escape(out, c->message ? c->message : "");
            fputs("</failure>\n", out);
        }
        fputs("    </testcase>\n", out);
    }
    fputs("  </testsuite>\n", out);
}

int
purr_replay_junit_write_cases(FILE *out, const purr_replay_report *reports,
                              size_t n, const purr_replay_case *cases,
                              size_t ncases)
{
    size_t failures = 0, errors = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (reports[i].outcome == PURR_REPLAY_ERROR)
            errors++;
        else if (reports[i].outcome == PURR_REPLAY_INTERRUPTED)
            skipped++;
        else if (reports[i].outcome != PURR_REPLAY_IDENTICAL)
            failures++;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<testsuites>\n"
                 "  <testsuite name=\"purr-replay\" tests=\"%zu\" "
                 "failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n",
            n, failures, errors, skipped);
    for (size_t i = 0; i < n; i++) {
        const purr_replay_report *rep = &reports[i];
        fputs("    <testcase classname=\"purr.replay\" name=\"", out);
        xml_escape(out, rep->file);
        fputs("\">\n", out);
        if (rep->outcome != PURR_REPLAY_IDENTICAL) {
            char *text = NULL;
            size_t len = 0;
            FILE *mem = open_memstream(&text, &len);
            if (mem) {
                purr_replay_report_print(mem, rep);
                fclose(mem);
            }
            /* An interrupted recording whose prefix matched is neither
             * a pass nor a failure: skipped, saying why. */
            const char *elem = rep->outcome == PURR_REPLAY_ERROR ? "error"
                               : rep->outcome == PURR_REPLAY_INTERRUPTED
                                   ? "skipped"
                                   : "failure";
            fprintf(out, "      <%s message=\"", elem);
            xml_escape(out, outcome_text(rep->outcome));
            fputs("\">", out);
            xml_escape(out, text ? text : "");
            fprintf(out, "</%s>\n", elem);
            free(text);
        }
        fputs("    </testcase>\n", out);
    }
    fputs("  </testsuite>\n", out);
    if (ncases)
        junit_cases(out, reports, n, cases, ncases);
    fputs("</testsuites>\n", out);
    return ferror(out) ? PURR_EIO : 0;
}
