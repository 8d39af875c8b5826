/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_tsan.h — tells ThreadSanitizer about hand-offs it cannot see.
 *
 * liburcu's queues order their stores with inline assembly (x86 xchg,
 * fences), which ThreadSanitizer does not model: a batch handed from the
 * reader to a sink thread through a cds_wfcq queue would look like a data
 * race although the queue orders it (today the wake-up that follows each
 * enqueue happens to order it for ThreadSanitizer too; the annotation keeps
 * that from being an accident). The enqueuer calls bvapm_tsan_release(node)
 * before the enqueue and the dequeuer bvapm_tsan_acquire(node) after the
 * dequeue, which gives ThreadSanitizer the happens-before edge the queue
 * provides. In any other build both are empty.
 */
#ifndef BVAPM_SUPPORT_TSAN_H
#define BVAPM_SUPPORT_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define BVAPM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BVAPM_TSAN 1
#endif
#endif

#ifdef BVAPM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static inline void bvapm_tsan_acquire(void *addr) { __tsan_acquire(addr); }
static inline void bvapm_tsan_release(void *addr) { __tsan_release(addr); }
#else
static inline void bvapm_tsan_acquire(void *addr) { (void)addr; }
static inline void bvapm_tsan_release(void *addr) { (void)addr; }
#endif

#endif
