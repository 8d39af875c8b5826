<?php

/**
 * bvapm — PHP API of the bvapm extension. Every function is safe to call
 * whether or not the extension records the current request: outside a
 * recorded request they do nothing (bvapm_trace_id() returns "").
 *
 * @generate-class-entries
 */

/**
 * Marks a point in the request: records the time since the request started,
 * the memory in use and its change since the previous checkpoint. Shown live
 * in `bvapm-shm top`. Returns true when the checkpoint was recorded.
 */
function bvapm_checkpoint(string $label): bool {}

/** Attaches a custom tag (last value wins) to the current request's record. */
function bvapm_tag(string $key, string $value): void {}

/** Adds $by to a named counter of the current request (e.g. models loaded). */
function bvapm_count(string $name, int $by = 1): void {}

/**
 * Names the current request's endpoint, e.g. the framework's route pattern
 * ("orders/{id}"): recorded as the route instead of the script path, so a
 * front controller's requests are told apart by bvapm-report. Last call wins.
 */
function bvapm_route(string $name): void {}

/** The current request's W3C trace id (32 hex digits), continued from an incoming traceparent. */
function bvapm_trace_id(): string {}

/**
 * Starts a job of a long-running process (a queue worker's message, a
 * consumer loop's batch): everything until bvapm_job_end() is one record of
 * kind Job, named $name (method "JOB"), with its own sampling decision, trace
 * context (continued from $traceparent, e.g. carried by the message, or a
 * new one), wall and CPU time, memory, checkpoints, SQL, function profile
 * and errors. The request in progress (the script run, when recorded) ends
 * first, as its own record; an open job ends first, as succeeded. Tags:
 * string, int, float and bool values. Returns true when the job is recorded
 * (the agent is on for this SAPI: in php-cli, bvapm.cli_enabled=1).
 */
function bvapm_job_start(string $name, array $tags = [], ?string $traceparent = null): bool {}

/**
 * Ends the job bvapm_job_start() started. $status is its outcome: null or 0
 * succeeded, anything else failed (kept as an error, recorded as the
 * status). A job still open when the script ends ends then, with the exit
 * status. Returns false when no job is open.
 */
function bvapm_job_end(?int $status = null): bool {}
