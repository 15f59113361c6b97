/* fake_libsimdrop.c: stand-ins for a libsimdrop that does not fit, for the Python loader's tests
 * (test_load.py): built once per FAKE_VERSION (an older release, a newer major, junk), each
 * exports simdrop_version() and nothing else; without FAKE_VERSION it is some other library. */
#ifdef FAKE_VERSION
const char *simdrop_version(void)
{
    return FAKE_VERSION;
}
#else
int not_simdrop(void)
{
    return 0;
}
#endif
