# Writes KernelTemplates.inc: one {kind, R"(text)"} entry per template file
# (kTemplates) and per shared part of templates (kParts, codegen/kernels/parts,
# included by `{{>name}}`).
# Invoked at build time with -DOUTPUT=... -DTEMPLATES=a.mlir|b.mlir
# -DPARTS=p.mlir|q.mlir
function(embed array files)
  string(REPLACE "|" ";" files "${files}")
  set(text_out "static const TemplateEntry ${array}[] = {\n")
  foreach(file ${files})
    get_filename_component(name ${file} NAME_WE)
    file(READ ${file} text)
    string(APPEND text_out "  {\"${name}\", R\"dsv2kernel(${text})dsv2kernel\"},\n")
  endforeach()
  string(APPEND text_out "};\n")
  set(content "${content}${text_out}" PARENT_SCOPE)
endfunction()

set(content "")
embed(kTemplates "${TEMPLATES}")
embed(kParts "${PARTS}")
file(WRITE ${OUTPUT}.tmp "${content}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
