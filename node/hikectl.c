/* hikectl: placeholder until the daemon core lands. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "hikectl: not built yet\n");
	return 1;
}
