/// The OpenAPI 3.1 description of `/api/v1` and `/healthz`, served at `/api/v1/openapi.json`
/// and kept true by schemathesis running against the live server in the tests
/// (Tests/StrataCLITests/WebCLITests.swift). Edit it with the handlers in APIRoutes.swift.
enum OpenAPIDocument {
    static let json = #"""
        {
         "openapi": "3.1.0",
         "info": {
          "title": "Strata HTTP API",
          "version": "1",
          "description": "Read-only access to a Strata site: devices, their status, series of every tier, counter events and the report outbox. Authenticate with HTTP Basic (a Strata user; over HTTPS or from the box itself) or `Authorization: Bearer <token>` (web.api_tokens). Times are ISO 8601 with the site's offset plus epoch seconds. Add `format=csv` or `Accept: text/csv` for CSV."
         },
         "servers": [
          {
           "url": "/"
          }
         ],
         "security": [
          {
           "basic": []
          },
          {
           "bearer": []
          }
         ],
         "paths": {
          "/healthz": {
           "get": {
            "summary": "Liveness for monitoring: store writable, sampler alive, roll-up age",
            "security": [],
            "operationId": "health",
            "responses": {
             "200": {
              "description": "healthy",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Health"
                }
               }
              }
             },
             "503": {
              "description": "failing",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Health"
                }
               }
              }
             },
             "405": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          },
          "/api/v1/site": {
           "get": {
            "summary": "The site",
            "operationId": "site",
            "parameters": [
             {
              "$ref": "#/components/parameters/Format"
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Site"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "405": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          },
          "/api/v1/devices": {
           "get": {
            "summary": "Every device the user may see, with status and today's figures",
            "operationId": "devices",
            "parameters": [
             {
              "$ref": "#/components/parameters/Format"
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/DeviceList"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             },
             "405": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          },
          "/api/v1/devices/{id}": {
           "get": {
            "summary": "One device and its channels",
            "operationId": "device",
            "parameters": [
             {
              "$ref": "#/components/parameters/DeviceID"
             },
             {
              "$ref": "#/components/parameters/Format"
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Device"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             },
             "405": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          },
          "/api/v1/devices/{id}/status": {
           "get": {
            "summary": "A device's polling status",
            "operationId": "deviceStatus",
            "parameters": [
             {
              "$ref": "#/components/parameters/DeviceID"
             },
             {
              "$ref": "#/components/parameters/Format"
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Status"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             },
             "405": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          },
          "/api/v1/devices/{id}/series": {
           "get": {
            "summary": "One tier of a device over a range",
            "operationId": "series",
            "description": "Counters give consumption per bucket and the last reading; gauges mean, min and max. A bucket or minute without data is left out. A range holding more than the server's limit of values is refused (413) with a hint.",
            "parameters": [
             {
              "$ref": "#/components/parameters/DeviceID"
             },
             {
              "$ref": "#/components/parameters/Format"
             },
             {
              "name": "tier",
              "in": "query",
              "schema": {
               "type": "string",
               "enum": [
                "minute",
                "quarter",
                "hour",
                "day",
                "month",
                "year"
               ],
               "default": "hour"
              }
             },
             {
              "name": "from",
              "in": "query",
              "description": "a date (site midnight), an RFC 3339 date-time, or epoch seconds; a site-local 2026-12-01T06:00 is accepted too",
              "schema": {
               "anyOf": [
                {
                 "type": "string",
                 "format": "date"
                },
                {
                 "type": "string",
                 "format": "date-time"
                },
                {
                 "type": "string",
                 "pattern": "^[0-9]{9,10}$"
                }
               ]
              }
             },
             {
              "name": "to",
              "in": "query",
              "description": "exclusive; same forms as from; default: the end of the current bucket",
              "schema": {
               "anyOf": [
                {
                 "type": "string",
                 "format": "date"
                },
                {
                 "type": "string",
                 "format": "date-time"
                },
                {
                 "type": "string",
                 "pattern": "^[0-9]{9,10}$"
                }
               ]
              }
             },
             {
              "name": "channels",
              "in": "query",
              "description": "comma-separated channel ids (default: all)",
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "dialect",
              "in": "query",
              "description": "CSV dialect",
              "schema": {
               "type": "string",
               "enum": [
                "iso",
                "excel-eu",
                "excel-us"
               ]
              }
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Series"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             },
             "413": {
              "$ref": "#/components/responses/Problem"
             },
             "405": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          },
          "/api/v1/devices/{id}/events": {
           "get": {
            "summary": "Counter resets and rollovers of a device",
            "operationId": "events",
            "parameters": [
             {
              "$ref": "#/components/parameters/DeviceID"
             },
             {
              "$ref": "#/components/parameters/Format"
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Events"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             },
             "405": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          },
          "/api/v1/outbox": {
           "get": {
            "summary": "Report messages and their delivery state",
            "operationId": "outbox",
            "parameters": [
             {
              "$ref": "#/components/parameters/Format"
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Outbox"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             },
             "405": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          }
         },
         "components": {
          "securitySchemes": {
           "basic": {
            "type": "http",
            "scheme": "basic"
           },
           "bearer": {
            "type": "http",
            "scheme": "bearer"
           }
          },
          "parameters": {
           "DeviceID": {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
             "type": "string"
            }
           },
           "Format": {
            "name": "format",
            "in": "query",
            "schema": {
             "type": "string",
             "enum": [
              "json",
              "csv"
             ]
            }
           }
          },
          "responses": {
           "Problem": {
            "description": "An error, with what to do about it",
            "content": {
             "application/problem+json": {
              "schema": {
               "$ref": "#/components/schemas/Problem"
              }
             }
            }
           }
          },
          "schemas": {
           "Problem": {
            "type": "object",
            "required": [
             "type",
             "title",
             "status",
             "detail"
            ],
            "properties": {
             "type": {
              "type": "string"
             },
             "title": {
              "type": "string"
             },
             "status": {
              "type": "integer"
             },
             "detail": {
              "type": "string"
             }
            }
           },
           "Health": {
            "type": "object",
            "required": [
             "status",
             "store_writable",
             "sampler_alive"
            ],
            "properties": {
             "status": {
              "type": "string",
              "enum": [
               "ok",
               "starting",
               "failing"
              ]
             },
             "store_writable": {
              "type": "boolean"
             },
             "store_problem": {
              "type": [
               "string",
               "null"
              ]
             },
             "sampler_alive": {
              "type": "boolean"
             },
             "newest_minute_age_seconds": {
              "type": [
               "integer",
               "null"
              ]
             },
             "rollup_age_seconds": {
              "type": [
               "integer",
               "null"
              ]
             }
            }
           },
           "Site": {
            "type": "object",
            "required": [
             "name",
             "timezone",
             "now",
             "now_epoch",
             "devices",
             "tiers",
             "user"
            ],
            "properties": {
             "name": {
              "type": "string"
             },
             "timezone": {
              "type": "string"
             },
             "now": {
              "type": "string",
              "description": "ISO 8601 with the site's offset"
             },
             "now_epoch": {
              "type": "integer",
              "description": "seconds since 1970-01-01 UTC"
             },
             "devices": {
              "type": "array",
              "items": {
               "type": "string"
              }
             },
             "tiers": {
              "type": "array",
              "items": {
               "type": "string"
              }
             },
             "user": {
              "type": "string"
             }
            }
           },
           "Channel": {
            "type": "object",
            "required": [
             "id",
             "name",
             "unit",
             "kind",
             "decimals"
            ],
            "properties": {
             "id": {
              "type": "string"
             },
             "name": {
              "type": "string"
             },
             "unit": {
              "type": "string"
             },
             "kind": {
              "type": "string",
              "enum": [
               "counter",
               "gauge"
              ]
             },
             "decimals": {
              "type": "integer"
             }
            }
           },
           "Device": {
            "type": "object",
            "required": [
             "id",
             "name",
             "driver",
             "state",
             "channels"
            ],
            "properties": {
             "id": {
              "type": "string"
             },
             "name": {
              "type": "string"
             },
             "driver": {
              "type": "string"
             },
             "state": {
              "type": "string",
              "enum": [
               "ok",
               "stale",
               "failing",
               "idle"
              ]
             },
             "last_success": {
              "type": [
               "string",
               "null"
              ],
              "description": "ISO 8601 with the site's offset"
             },
             "last_success_epoch": {
              "type": [
               "integer",
               "null"
              ],
              "description": "seconds since 1970-01-01 UTC"
             },
             "last_attempt": {
              "type": [
               "string",
               "null"
              ],
              "description": "ISO 8601 with the site's offset"
             },
             "last_attempt_epoch": {
              "type": [
               "integer",
               "null"
              ],
              "description": "seconds since 1970-01-01 UTC"
             },
             "consecutive_failures": {
              "type": "integer"
             },
             "last_error": {
              "type": [
               "string",
               "null"
              ]
             },
             "bad_readings": {
              "type": "integer"
             },
             "last_reading": {
              "type": [
               "string",
               "null"
              ],
              "description": "ISO 8601 with the site's offset"
             },
             "last_reading_epoch": {
              "type": [
               "integer",
               "null"
              ],
              "description": "seconds since 1970-01-01 UTC"
             },
             "consumption_channel": {
              "type": "string"
             },
             "today": {
              "type": [
               "number",
               "null"
              ]
             },
             "this_month": {
              "type": [
               "number",
               "null"
              ]
             },
             "power_channel": {
              "type": "string"
             },
             "power": {
              "type": [
               "number",
               "null"
              ]
             },
             "channels": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/Channel"
              }
             }
            }
           },
           "DeviceList": {
            "type": "object",
            "required": [
             "devices"
            ],
            "properties": {
             "devices": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/Device"
              }
             }
            }
           },
           "Status": {
            "type": "object",
            "required": [
             "device",
             "state"
            ],
            "properties": {
             "device": {
              "type": "string"
             },
             "state": {
              "type": "string",
              "enum": [
               "ok",
               "stale",
               "failing",
               "idle"
              ]
             },
             "last_success": {
              "type": [
               "string",
               "null"
              ],
              "description": "ISO 8601 with the site's offset"
             },
             "last_success_epoch": {
              "type": [
               "integer",
               "null"
              ],
              "description": "seconds since 1970-01-01 UTC"
             },
             "last_attempt": {
              "type": [
               "string",
               "null"
              ],
              "description": "ISO 8601 with the site's offset"
             },
             "last_attempt_epoch": {
              "type": [
               "integer",
               "null"
              ],
              "description": "seconds since 1970-01-01 UTC"
             },
             "consecutive_failures": {
              "type": "integer"
             },
             "last_error": {
              "type": [
               "string",
               "null"
              ]
             },
             "bad_readings": {
              "type": "integer"
             }
            }
           },
           "Cell": {
            "type": "object",
            "properties": {
             "consumption": {
              "type": "number"
             },
             "reading": {
              "type": [
               "number",
               "null"
              ]
             },
             "mean": {
              "type": [
               "number",
               "null"
              ]
             },
             "min": {
              "type": [
               "number",
               "null"
              ]
             },
             "max": {
              "type": [
               "number",
               "null"
              ]
             }
            }
           },
           "Series": {
            "type": "object",
            "required": [
             "device",
             "tier",
             "from",
             "to",
             "channels",
             "rows"
            ],
            "properties": {
             "device": {
              "type": "string"
             },
             "tier": {
              "type": "string",
              "enum": [
               "minute",
               "quarter",
               "hour",
               "day",
               "month",
               "year"
              ]
             },
             "from": {
              "type": "string",
              "description": "ISO 8601 with the site's offset"
             },
             "from_epoch": {
              "type": "integer",
              "description": "seconds since 1970-01-01 UTC"
             },
             "to": {
              "type": "string",
              "description": "ISO 8601 with the site's offset"
             },
             "to_epoch": {
              "type": "integer",
              "description": "seconds since 1970-01-01 UTC"
             },
             "channels": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/Channel"
              }
             },
             "rows": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "start",
                "start_epoch",
                "end",
                "end_epoch",
                "values"
               ],
               "properties": {
                "start": {
                 "type": "string",
                 "description": "ISO 8601 with the site's offset"
                },
                "start_epoch": {
                 "type": "integer",
                 "description": "seconds since 1970-01-01 UTC"
                },
                "end": {
                 "type": "string",
                 "description": "ISO 8601 with the site's offset"
                },
                "end_epoch": {
                 "type": "integer",
                 "description": "seconds since 1970-01-01 UTC"
                },
                "values": {
                 "type": "object",
                 "additionalProperties": {
                  "$ref": "#/components/schemas/Cell"
                 }
                }
               }
              }
             }
            }
           },
           "Events": {
            "type": "object",
            "required": [
             "device",
             "events"
            ],
            "properties": {
             "device": {
              "type": "string"
             },
             "events": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "time",
                "time_epoch",
                "channel",
                "action",
                "old",
                "new"
               ],
               "properties": {
                "time": {
                 "type": "string",
                 "description": "ISO 8601 with the site's offset"
                },
                "time_epoch": {
                 "type": "integer",
                 "description": "seconds since 1970-01-01 UTC"
                },
                "channel": {
                 "type": "string"
                },
                "action": {
                 "type": "string",
                 "enum": [
                  "rollover",
                  "reset",
                  "reset-ignored",
                  "spike",
                  "rebase"
                 ]
                },
                "old": {
                 "type": [
                  "number",
                  "null"
                 ]
                },
                "new": {
                 "type": [
                  "number",
                  "null"
                 ]
                }
               }
              }
             }
            }
           },
           "Outbox": {
            "type": "object",
            "required": [
             "messages"
            ],
            "properties": {
             "messages": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "id",
                "report",
                "period",
                "recipient",
                "state",
                "attempts"
               ],
               "properties": {
                "id": {
                 "type": "integer"
                },
                "report": {
                 "type": "string"
                },
                "period": {
                 "type": "string"
                },
                "recipient": {
                 "type": "string"
                },
                "message_id": {
                 "type": "string"
                },
                "state": {
                 "type": "string",
                 "enum": [
                  "pending",
                  "sent",
                  "failed",
                  "saved"
                 ]
                },
                "attempts": {
                 "type": "integer"
                },
                "created": {
                 "type": [
                  "string",
                  "null"
                 ],
                 "description": "ISO 8601 with the site's offset"
                },
                "created_epoch": {
                 "type": [
                  "integer",
                  "null"
                 ],
                 "description": "seconds since 1970-01-01 UTC"
                },
                "last_attempt": {
                 "type": [
                  "string",
                  "null"
                 ],
                 "description": "ISO 8601 with the site's offset"
                },
                "last_attempt_epoch": {
                 "type": [
                  "integer",
                  "null"
                 ],
                 "description": "seconds since 1970-01-01 UTC"
                },
                "done": {
                 "type": [
                  "string",
                  "null"
                 ],
                 "description": "ISO 8601 with the site's offset"
                },
                "done_epoch": {
                 "type": [
                  "integer",
                  "null"
                 ],
                 "description": "seconds since 1970-01-01 UTC"
                },
                "last_error": {
                 "type": [
                  "string",
                  "null"
                 ]
                }
               }
              }
             }
            }
           }
          }
         }
        }
        """#
}
