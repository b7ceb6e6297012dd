/* Open file and directory handles still held when the session ends (the kernel may not have sent their
 * RELEASE yet) are freed at exit, so a sanitizer build reports only real leaks. */
#ifndef STRATA_TRACKED_H
#define STRATA_TRACKED_H

struct tracked {
  struct tracked *prev, *next;
  void (*release)(struct tracked *);
};

void tracked_add(struct tracked *t, void (*release)(struct tracked *));
void tracked_remove(struct tracked *t);
/* Releases every handle still registered (at shutdown, single-threaded). */
void tracked_release_all(void);

#endif
