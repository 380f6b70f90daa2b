# `cpack -G DEB` in the build directory: one glassbox package with the whole install layout
# under /usr. Depends are computed by dpkg-shlibdeps (packages dpkg-dev and file), plus libcurl4,
# which is loaded at run time; the package registers libglassbox.so.0 (shlibs file and an
# ldconfig trigger).
set(CPACK_PACKAGE_NAME glassbox)
set(CPACK_PACKAGE_VENDOR "glassbox")
set(CPACK_PACKAGE_CONTACT "glassbox maintainers <glassbox@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "offline telemetry recorder that shows exactly what it sends")
set(CPACK_PACKAGE_DESCRIPTION
    "glassbox records usage events that are validated against a schema and anonymized on the\
 client before they touch disk, keeps them in a compressed local journal, and shows byte for\
 byte what would be uploaded. Includes the glassbox command, libglassbox (C and C++ API),\
 headers, a Python package (ctypes), man pages and bash completion.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libcurl is loaded when replay needs it (replay/curl_api.h), so dpkg-shlibdeps cannot see it.
# 7.85 brought CURLOPT_PROTOCOLS_STR.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.85.0)")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3, bash-completion")
include(CPack)
