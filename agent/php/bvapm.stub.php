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
