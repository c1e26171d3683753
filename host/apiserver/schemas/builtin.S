/*
 * The built-in types' schemas (the JSON files next to this one), linked
 * into the binary as NUL-terminated strings for schema.c. Paths are
 * relative to the top of the tree, where make runs the assembler.
 */
	.section .rodata
	.global cp_schema_blob_meta
	.global cp_schema_blob_core
	.global cp_schema_blob_apps
	.global cp_schema_blob_other
	.global cp_schema_blob_kinds_core
	.global cp_schema_blob_kinds_workloads
	.global cp_schema_blob_kinds_platform
cp_schema_blob_meta:
	.incbin "host/apiserver/schemas/meta.json"
	.byte 0
cp_schema_blob_core:
	.incbin "host/apiserver/schemas/core.json"
	.byte 0
cp_schema_blob_apps:
	.incbin "host/apiserver/schemas/apps.json"
	.byte 0
cp_schema_blob_other:
	.incbin "host/apiserver/schemas/other.json"
	.byte 0
cp_schema_blob_kinds_core:
	.incbin "host/apiserver/schemas/kinds_core.json"
	.byte 0
cp_schema_blob_kinds_workloads:
	.incbin "host/apiserver/schemas/kinds_workloads.json"
	.byte 0
cp_schema_blob_kinds_platform:
	.incbin "host/apiserver/schemas/kinds_platform.json"
	.byte 0
	.section .note.GNU-stack,"",@progbits
