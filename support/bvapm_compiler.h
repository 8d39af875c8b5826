/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_compiler.h — branch hints for the hot paths (ring writes, agent hooks):
 * the rare case (a drop, a corrupt word, a retired ring) is marked so the
 * common one stays a straight line.
 */
#ifndef BVAPM_SUPPORT_COMPILER_H
#define BVAPM_SUPPORT_COMPILER_H

#define bvapm_likely(x) __builtin_expect(!!(x), 1)
#define bvapm_unlikely(x) __builtin_expect(!!(x), 0)

#endif
