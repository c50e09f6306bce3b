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
  qt_add_translations(${target}
    TS_FILES ${_ts_files}
    SOURCES ${_sources}
    INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}
    LUPDATE_OPTIONS ${LOOPSNAP_LUPDATE_OPTIONS})

  # For tst_ui_translations: the same lupdate, options and sources, run into a scratch .ts.
  set(_dir ${CMAKE_BINARY_DIR}/translations)
  list(JOIN _sources "\n" _source_lines)
  file(WRITE ${_dir}/lupdate-sources.lst "${_source_lines}\n")
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
  list(JOIN _lines "\n" _content)
  file(GENERATE OUTPUT ${_dir}/lupdate-check.txt CONTENT "${_content}\n")
  set_property(GLOBAL PROPERTY LOOPSNAP_TRANSLATION_CHECK_FILE ${_dir}/lupdate-check.txt)
endfunction()
