# Who and where Loopsnap comes from, read from the one place the repository states it: the
# Debian copyright file (installer/copyright: Upstream-Name, Upstream-Contact, Source and the
# copyright holder of "Files: *"). The package (Packaging.cmake), the About box (ui/) and the
# AppStream metainfo (checked by ctest installer_metadata) all use these.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/copyright _loopsnap_copyright)
foreach(_line IN LISTS _loopsnap_copyright)
  if(_line MATCHES "^Upstream-Contact: (.+)$")
    set(LOOPSNAP_UPSTREAM_CONTACT "${CMAKE_MATCH_1}")
  elseif(_line MATCHES "^Source: (.+)$")
    set(LOOPSNAP_HOMEPAGE "${CMAKE_MATCH_1}")
  elseif(_line MATCHES "^Copyright: (.+)$" AND NOT DEFINED LOOPSNAP_COPYRIGHT_HOLDER)
    set(LOOPSNAP_COPYRIGHT_HOLDER "${CMAKE_MATCH_1}")
  endif()
endforeach()
foreach(_var LOOPSNAP_UPSTREAM_CONTACT LOOPSNAP_HOMEPAGE LOOPSNAP_COPYRIGHT_HOLDER)
  if(NOT ${_var})
    message(FATAL_ERROR "installer/copyright does not state ${_var}")
  endif()
endforeach()
