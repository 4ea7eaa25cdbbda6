# Writes a header with one tokenizer.json as a raw string literal.
# Invoked at build time with -DINPUT=tiny.json -DOUTPUT=... -DNAME=kTinyTokenizerJson
file(READ ${INPUT} text)
set(content "// Generated from ${INPUT} by EmbedTokenizer.cmake.\n")
string(APPEND content "static const char ${NAME}[] = R\"dsv2tokenizer(${text})dsv2tokenizer\";\n")
file(WRITE ${OUTPUT}.tmp "${content}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
