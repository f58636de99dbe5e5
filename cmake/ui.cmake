# The dashboard, embedded: every file of ui/dist (built by `npm ci && npm run build` in ui/,
# which scripts/serve.sh and scripts/test.sh run) becomes a byte array in a generated .cpp that
# is compiled into the given target. The glob is re-checked at every build, so a rebuilt
# dashboard (new hashed file names) re-runs the generator. Without ui/dist the binary serves a
# page that says the dashboard was not built and how to build it.
set(SPOOL_UI_DIST "${PROJECT_SOURCE_DIR}/ui/dist" CACHE PATH "The built dashboard to embed")

function(spool_embed_ui target)
  file(GLOB_RECURSE ui_files CONFIGURE_DEPENDS "${SPOOL_UI_DIST}/*")
  if(NOT EXISTS "${SPOOL_UI_DIST}/index.html")
    message(WARNING "The dashboard is not built (${SPOOL_UI_DIST}/index.html is missing): spool "
                    "will serve a page saying so at /. Build it with "
                    "`(cd ui && npm ci && npm run build)`, then build spool again; "
                    "scripts/serve.sh and scripts/test.sh do both.")
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/generated/ui_assets.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND "${CMAKE_COMMAND}" "-DDIST=${SPOOL_UI_DIST}" "-DOUT=${out}"
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_ui.cmake"
    DEPENDS ${ui_files} "${PROJECT_SOURCE_DIR}/cmake/embed_ui.cmake"
    COMMENT "Embedding the dashboard (${SPOOL_UI_DIST}) into ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
