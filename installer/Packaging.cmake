# Installation layout and the Debian package (CPack DEB), included once from the top
# CMakeLists.txt after every target is defined.
#
#   cmake -S . -B build -G Ninja && ninja -C build && (cd build && cpack -G DEB)
#
# Package contents (prefix /usr):
#   bin/loopsnapctl                                   (app/loopsnapctl installs it)
#   bin/loopsnap                                      (app/loopsnap installs it; only if built)
#   share/applications/io.github.loopsnap.Loopsnap.desktop      \
#   share/metainfo/io.github.loopsnap.Loopsnap.metainfo.xml      > with the GUI only
#   share/icons/hicolor/{scalable,NxN}/apps/io.github.loopsnap.Loopsnap.{svg,png}  /
#   share/man/man1/loopsnapctl.1.gz, loopsnap.1.gz (with the GUI), man8/loopsnap-helper.8.gz
#   share/bash-completion/completions/loopsnapctl
#   share/doc/loopsnap/copyright
#   (the privileged helper and its D-Bus/polkit files: see the section at the end)
#
# Every file is owned by root (CPack's DEB generator writes uid/gid 0), directories are 0755,
# data files 0644, programs 0755, whatever the umask of the build. installer/tests/ checks it.

include(GNUInstallDirs)

set(LOOPSNAP_APP_ID io.github.loopsnap.Loopsnap)
set(LOOPSNAP_INSTALLER_DIR ${CMAKE_CURRENT_LIST_DIR})
set(LOOPSNAP_GENERATED_DIR ${CMAKE_BINARY_DIR}/installer)
file(MAKE_DIRECTORY ${LOOPSNAP_GENERATED_DIR})

# Independent of the umask of whoever builds the package.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(LOOPSNAP_DATA_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# --- loopsnapctl: man page and bash completion ------------------------------------------------
# The man page is written by hand (installer/loopsnapctl.1); installer/tests/cli_docs.sh fails
# when a command or option of `loopsnapctl ... --help` is missing from it or from the completion.
find_program(LOOPSNAP_GZIP gzip REQUIRED)
# installer/NAME.1 -> share/man/man1/NAME.1.gz (gzip -9n, as Debian compresses man pages).
function(loopsnap_install_man_page name)
  set(_gz ${LOOPSNAP_GENERATED_DIR}/${name}.1.gz)
  add_custom_command(
    OUTPUT ${_gz}
    COMMAND ${LOOPSNAP_GZIP} -9 -n -c ${LOOPSNAP_INSTALLER_DIR}/${name}.1 > ${_gz}
    DEPENDS ${LOOPSNAP_INSTALLER_DIR}/${name}.1
    COMMENT "Compressing the ${name} man page"
    VERBATIM)
  add_custom_target(${name}_manpage ALL DEPENDS ${_gz})
  install(FILES ${_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
endfunction()
loopsnap_install_man_page(loopsnapctl)
install(FILES ${LOOPSNAP_INSTALLER_DIR}/loopsnapctl.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME loopsnapctl PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
install(FILES ${LOOPSNAP_INSTALLER_DIR}/copyright
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/loopsnap PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})

# --- the desktop app: desktop file, AppStream metainfo, icons ---------------------------------
if(TARGET loopsnap)
  set(LOOPSNAP_APP_ICON_SVG ${PROJECT_SOURCE_DIR}/resources/loopsnap.svg)
  loopsnap_install_man_page(loopsnap)
  install(FILES ${LOOPSNAP_INSTALLER_DIR}/${LOOPSNAP_APP_ID}.desktop
    DESTINATION ${CMAKE_INSTALL_DATADIR}/applications PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
  install(FILES ${LOOPSNAP_INSTALLER_DIR}/${LOOPSNAP_APP_ID}.metainfo.xml
    DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
  install(FILES ${LOOPSNAP_APP_ICON_SVG}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
    RENAME ${LOOPSNAP_APP_ID}.svg PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})

  # PNG sizes for desktops and software centres that do not render SVG, made from the SVG at
  # build time (rsvg-convert, package librsvg2-bin).
  find_program(LOOPSNAP_RSVG_CONVERT rsvg-convert REQUIRED)
  set(_icon_pngs "")
  foreach(size 16 22 24 32 48 64 128 256 512)
    set(_png ${LOOPSNAP_GENERATED_DIR}/icons/${size}x${size}/${LOOPSNAP_APP_ID}.png)
    add_custom_command(
      OUTPUT ${_png}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${LOOPSNAP_GENERATED_DIR}/icons/${size}x${size}
      COMMAND ${LOOPSNAP_RSVG_CONVERT} --width ${size} --height ${size} --keep-aspect-ratio
              --format png --output ${_png} ${LOOPSNAP_APP_ICON_SVG}
      DEPENDS ${LOOPSNAP_APP_ICON_SVG}
      COMMENT "Rendering the ${size}x${size} app icon"
      VERBATIM)
    list(APPEND _icon_pngs ${_png})
    install(FILES ${_png} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
      PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
  endforeach()
  add_custom_target(loopsnap_icons ALL DEPENDS ${_icon_pngs})
endif()

# --- the Debian package -----------------------------------------------------------------------
set(CPACK_PACKAGE_NAME loopsnap)
set(CPACK_PACKAGE_VENDOR "${LOOPSNAP_COPYRIGHT_HOLDER}")      # Upstream.cmake, from installer/copyright
set(CPACK_PACKAGE_CONTACT "${LOOPSNAP_UPSTREAM_CONTACT}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "block-level snapshots and clones with dm-snapshot/dm-clone semantics")
# The first line of the Description field is CPACK_PACKAGE_DESCRIPTION_SUMMARY.
if(TARGET loopsnap)
  set(_contents "the desktop app loopsnap (in English and German) and the command line\ntool loopsnapctl (in English).")
else()
  set(_contents "the command line tool loopsnapctl.")
endif()
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"Loopsnap takes snapshots and clones of disk images and block devices with
exactly the semantics of the Linux device mapper targets dm-snapshot (on the
kernel's own persistent COW format) and dm-clone, in userspace. Snapshots
merge back into their origin (rollback), clones hydrate in the background,
devices can be served over NBD or attached as loop devices.
.
This package contains ${_contents}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${LOOPSNAP_HOMEPAGE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Depends: computed by dpkg-shlibdeps (package dpkg-dev) from the installed programs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Tools loopsnapctl runs for some commands, not linked: attach/detach use fuse3 and the loop driver.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "fuse3, nbdkit, libnbd-bin")
if(TARGET loopsnap)
  # Qt's own German strings (qtbase_de.qm), loaded beside the app's translation.
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-translations-l10n")
  # The app's icons are SVG (resources/loopsnap.svg, the state icons): Qt loads them through its
  # svg image plugin, a plugin dpkg-shlibdeps cannot see. Appended to by shlibdeps.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6svg6")
endif()
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS ${CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS})
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")

# --- the privileged helper (kernel backend) ---------------------------------------------------
# Kept apart so the kernel backend can add its helper without touching the rest. When the target
# `loopsnap-helper` exists it is installed to /usr/libexec/loopsnap/, and the files it needs go
# from installer/helper/ to where D-Bus and polkit look for them:
#   installer/helper/*.conf     -> /usr/share/dbus-1/system.d/          (bus policy)
#   installer/helper/*.service  -> /usr/share/dbus-1/system-services/   (bus activation)
#   installer/helper/*.policy   -> /usr/share/polkit-1/actions/         (polkit actions)
# (Exec= in the .service file: /usr/libexec/loopsnap/loopsnap-helper.)
if(TARGET loopsnap-helper)
  install(TARGETS loopsnap-helper RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/loopsnap)
  file(GLOB _helper_bus_policies ${LOOPSNAP_INSTALLER_DIR}/helper/*.conf)
  file(GLOB _helper_bus_services ${LOOPSNAP_INSTALLER_DIR}/helper/*.service)
  file(GLOB _helper_polkit_actions ${LOOPSNAP_INSTALLER_DIR}/helper/*.policy)
  install(FILES ${_helper_bus_policies} DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/system.d
    PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
  install(FILES ${_helper_bus_services} DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/system-services
    PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
  install(FILES ${_helper_polkit_actions} DESTINATION ${CMAKE_INSTALL_DATADIR}/polkit-1/actions
    PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
  # installer/loopsnap-helper.8 -> share/man/man8/loopsnap-helper.8.gz
  set(_helper_man ${LOOPSNAP_GENERATED_DIR}/loopsnap-helper.8.gz)
  add_custom_command(
    OUTPUT ${_helper_man}
    COMMAND ${LOOPSNAP_GZIP} -9 -n -c ${LOOPSNAP_INSTALLER_DIR}/loopsnap-helper.8 > ${_helper_man}
    DEPENDS ${LOOPSNAP_INSTALLER_DIR}/loopsnap-helper.8
    COMMENT "Compressing the loopsnap-helper man page"
    VERBATIM)
  add_custom_target(loopsnap-helper_manpage ALL DEPENDS ${_helper_man})
  install(FILES ${_helper_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 PERMISSIONS ${LOOPSNAP_DATA_PERMISSIONS})
endif()

include(CPack)

# --- tests ------------------------------------------------------------------------------------
if(LOOPSNAP_BUILD_TESTS)
  add_test(NAME installer_cli_docs
    COMMAND bash ${LOOPSNAP_INSTALLER_DIR}/tests/cli_docs.sh
            $<TARGET_FILE:loopsnapctl> ${LOOPSNAP_INSTALLER_DIR})
  # Builds the .deb, installs it with dpkg on this machine, runs it and removes it again.
  # Needs root and a machine where the package is not installed already (else it is skipped).
  add_test(NAME installer_deb
    COMMAND bash ${LOOPSNAP_INSTALLER_DIR}/tests/deb_install.sh
            ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${PROJECT_VERSION} $<IF:$<TARGET_EXISTS:loopsnap>,gui,cli>)
  set_tests_properties(installer_deb PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77 RUN_SERIAL ON)
  # The helper's polkit action (xmllint against polkit's DTD), bus policy and activation file.
  add_test(NAME installer_helper_files
    COMMAND bash ${LOOPSNAP_INSTALLER_DIR}/tests/helper_files.sh
            ${LOOPSNAP_INSTALLER_DIR} ${PROJECT_SOURCE_DIR}/helper/helper_protocol.h)
  # The AppStream metainfo states what installer/copyright states (homepage, developer, contact),
  # and so do README and the package; appstreamcli validates it (no network, no package build).
  add_test(NAME installer_metadata
    COMMAND bash ${LOOPSNAP_INSTALLER_DIR}/tests/metadata.sh ${PROJECT_SOURCE_DIR}
            "${LOOPSNAP_HOMEPAGE}" "${LOOPSNAP_UPSTREAM_CONTACT}" "${LOOPSNAP_COPYRIGHT_HOLDER}")
  if(TARGET loopsnap-helper)
    add_test(NAME installer_helper_no_exec
      COMMAND bash ${LOOPSNAP_INSTALLER_DIR}/tests/helper_no_exec.sh $<TARGET_FILE:loopsnap-helper>)
  endif()
endif()

# tst_ui_translations (tests/) runs the lupdate that translations/Translations.cmake sets up.
if(TARGET tst_ui_translations)
  get_property(_check_file GLOBAL PROPERTY LOOPSNAP_TRANSLATION_CHECK_FILE)
  if(NOT _check_file)
    set(_check_file "${CMAKE_BINARY_DIR}/translations/loopsnap_add_translations-was-not-called")
  endif()
  target_compile_definitions(tst_ui_translations PRIVATE LOOPSNAP_TRANSLATION_CHECK_FILE="${_check_file}")
endif()
