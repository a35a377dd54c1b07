/* sipward: one binary, many subcommands (see src/cli). */
#include "cli/cli.h"

int
main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
