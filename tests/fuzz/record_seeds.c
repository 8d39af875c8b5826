/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_seeds.c — writes valid records of every kind (the fixtures, the
 * job, the typical request, truncated variants: the request with its spans
 * cut, the typical one) into a directory, as the fuzzer's seed corpus.
 * Usage: record_seeds DIR
 */
#include <stdint.h>
#include <stdio.h>

#include "testing/fixtures.h"

static int save(const char *dir, const char *name, const void *p, ssize_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.bvr", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || n <= 0 || fwrite(p, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static _Alignas(8) uint8_t buf[1 << 16];
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	int bad = 0;
	for (int k = 0; k < FX_COUNT; k++)
		bad |= save(argv[1], fixture_names[k], buf, fixture_encode(k, buf, sizeof buf));
	bad |= save(argv[1], "job", buf, fixture_encode_job(buf, sizeof buf));
	bad |= save(argv[1], "request_truncated", buf,
		bvapm_rec_encode_request(buf, 2048, &fixture_envelope, &fixture_request));
	const struct bvapm_rec_request *q = fixture_typical_request();
	bad |= save(argv[1], "typical", buf, bvapm_rec_encode_request(buf, sizeof buf, &fixture_envelope, q));
	bad |= save(argv[1], "typical_truncated", buf,
		bvapm_rec_encode_request(buf, 4096, &fixture_envelope, q));
	return bad;
}
