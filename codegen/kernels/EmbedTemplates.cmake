# Writes KernelTemplates.inc: one {kind, R"(text)"} entry per template file.
# Invoked at build time with -DOUTPUT=... -DTEMPLATES=a.mlir|b.mlir
string(REPLACE "|" ";" TEMPLATES "${TEMPLATES}")
set(content "static const TemplateEntry kTemplates[] = {\n")
foreach(file ${TEMPLATES})
  get_filename_component(kind ${file} NAME_WE)
  file(READ ${file} text)
  string(APPEND content "  {\"${kind}\", R\"dsv2kernel(${text})dsv2kernel\"},\n")
endforeach()
string(APPEND content "};\n")
file(WRITE ${OUTPUT}.tmp "${content}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
