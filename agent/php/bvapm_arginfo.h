/* SPDX-License-Identifier: Apache-2.0 */
/* Argument information for the functions declared in bvapm.stub.php. */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_bvapm_checkpoint, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, label, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_bvapm_tag, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, value, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_bvapm_count, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, by, IS_LONG, 0, "1")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_bvapm_route, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_bvapm_trace_id, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_bvapm_job_start, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, tags, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, traceparent, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_bvapm_job_end, 0, 0, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, status, IS_LONG, 1, "null")
ZEND_END_ARG_INFO()

ZEND_FUNCTION(bvapm_checkpoint);
ZEND_FUNCTION(bvapm_tag);
ZEND_FUNCTION(bvapm_count);
ZEND_FUNCTION(bvapm_route);
ZEND_FUNCTION(bvapm_trace_id);
ZEND_FUNCTION(bvapm_job_start);
ZEND_FUNCTION(bvapm_job_end);

static const zend_function_entry ext_functions[] = {
	ZEND_FE(bvapm_checkpoint, arginfo_bvapm_checkpoint)
	ZEND_FE(bvapm_tag, arginfo_bvapm_tag)
	ZEND_FE(bvapm_count, arginfo_bvapm_count)
	ZEND_FE(bvapm_route, arginfo_bvapm_route)
	ZEND_FE(bvapm_trace_id, arginfo_bvapm_trace_id)
	ZEND_FE(bvapm_job_start, arginfo_bvapm_job_start)
	ZEND_FE(bvapm_job_end, arginfo_bvapm_job_end)
	ZEND_FE_END
};
