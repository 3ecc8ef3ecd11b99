/* nosym.c - a shared object without PURR_BEHAVIOURS. */
int nosym_answer(void);

int
nosym_answer(void)
{
    return 42;
}
