#include "tracked.h"

#include <pthread.h>
#include <stddef.h>

static struct tracked head = {&head, &head, NULL};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void tracked_add(struct tracked *t, void (*release)(struct tracked *)) {
  t->release = release;
  pthread_mutex_lock(&lock);
  t->next = head.next;
  t->prev = &head;
  head.next->prev = t;
  head.next = t;
  pthread_mutex_unlock(&lock);
}

void tracked_remove(struct tracked *t) {
  pthread_mutex_lock(&lock);
  t->prev->next = t->next;
  t->next->prev = t->prev;
  t->prev = t->next = t;
  pthread_mutex_unlock(&lock);
}

void tracked_release_all(void) {
  while (head.next != &head) {
    struct tracked *t = head.next;
    tracked_remove(t);
    t->release(t);
  }
}
