// Asio's and Beast's non-template parts, compiled once for the whole program (the top-level
// CMakeLists.txt sets BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION):
// the other translation units then only instantiate templates.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
