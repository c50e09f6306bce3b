# The desktop app's translations (translations/loopsnap_<lang>.ts), compiled into loopsnap_ui's
# resources at :/i18n/loopsnap_<lang>.qm by qt_add_translations. Used from ui/CMakeLists.txt:
#   include(${PROJECT_SOURCE_DIR}/translations/Translations.cmake)
#   loopsnap_add_translations(loopsnap_ui)
#
# lupdate reads every source of ui/ and app/loopsnap/. To bring the .ts files up to date with
# the sources (new strings arrive unfinished, vanished ones are dropped):
#   ninja -C build update_translations
# tst_ui_translations fails while a .ts differs from what lupdate finds or has an unfinished entry.
set(LOOPSNAP_LUPDATE_OPTIONS -locations none -no-obsolete)

function(loopsnap_add_translations target)
  find_package(Qt6 6.4 REQUIRED COMPONENTS LinguistTools)
  file(GLOB_RECURSE _sources CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/ui/*.cpp ${PROJECT_SOURCE_DIR}/ui/*.h ${PROJECT_SOURCE_DIR}/ui/*.ui
    ${PROJECT_SOURCE_DIR}/app/loopsnap/*.cpp ${PROJECT_SOURCE_DIR}/app/loopsnap/*.h)
  file(GLOB _ts_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/translations/loopsnap_*.ts)
  # loopsnap_en.ts holds only the English plural forms ("%n snapshot(s)" -> "1 snapshot",
  # "2 snapshots"): the sources are English, so nothing else needs translating.
  set(_plurals_ts ${PROJECT_SOURCE_DIR}/translations/loopsnap_en.ts)
  list(REMOVE_ITEM _ts_files ${_plurals_ts})
  qt_add_translations(${target}
    TS_FILES ${_ts_files}
    SOURCES ${_sources}
    INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}
    LUPDATE_OPTIONS ${LOOPSNAP_LUPDATE_OPTIONS})

  set(_dir ${CMAKE_BINARY_DIR}/translations)
  list(JOIN _sources "\n" _source_lines)
  file(WRITE ${_dir}/lupdate-sources.lst "${_source_lines}\n")

  # The English plural forms: lupdate -pluralonly keeps only the %n strings; compiled to
  # :/i18n/loopsnap_en.qm, which ui/text/Language.cpp installs under every other translation.
  add_custom_target(${target}_en_plurals)
  qt6_add_lrelease(${target}_en_plurals TS_FILES ${_plurals_ts} QM_FILES_OUTPUT_VARIABLE _plurals_qm
    NO_GLOBAL_TARGET)
  qt6_add_resources(${target} ${target}_en_plurals_qm PREFIX /i18n BASE ${CMAKE_CURRENT_BINARY_DIR}
    FILES ${_plurals_qm})
  add_custom_target(${target}_en_plurals_lupdate
    COMMAND Qt6::lupdate ${LOOPSNAP_LUPDATE_OPTIONS} -pluralonly -I${PROJECT_SOURCE_DIR}
            @${_dir}/lupdate-sources.lst -ts ${_plurals_ts}
    VERBATIM)
  add_dependencies(update_translations ${target}_en_plurals_lupdate)

  # For tst_ui_translations: the same lupdate, options and sources, run into a scratch .ts.
  # One key=value per line: lupdate=PATH, sources=LIST-FILE, option=OPTION..., ts=TS-FILE...
  set(_lines "lupdate=$<TARGET_FILE:Qt6::lupdate>" "sources=${_dir}/lupdate-sources.lst")
  foreach(_option IN LISTS LOOPSNAP_LUPDATE_OPTIONS)
    list(APPEND _lines "option=${_option}")
  endforeach()
  # With the include path lupdate sees the namespaces, so its contexts are the ones tr() uses
  # at run time (loopsnap::ui::MainWindow, not MainWindow).
  list(APPEND _lines "option=-I${PROJECT_SOURCE_DIR}")
  foreach(_ts IN LISTS _ts_files)
    list(APPEND _lines "ts=${_ts}")
  endforeach()
  list(APPEND _lines "plurals_ts=${_plurals_ts}")
  list(JOIN _lines "\n" _content)
  file(GENERATE OUTPUT ${_dir}/lupdate-check.txt CONTENT "${_content}\n")
  set_property(GLOBAL PROPERTY LOOPSNAP_TRANSLATION_CHECK_FILE ${_dir}/lupdate-check.txt)
endfunction()
