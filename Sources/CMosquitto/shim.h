#include <mosquitto.h>
#include <errno.h>
