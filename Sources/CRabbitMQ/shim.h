// The one place tally includes rabbitmq-c (0.11, Debian's librabbitmq-dev).
// Swift sees the C API only through this module; callers of TallyAMQPClient never do.
#ifndef TALLY_CRABBITMQ_SHIM_H
#define TALLY_CRABBITMQ_SHIM_H
#include <stdint.h>
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
#include <amqp_framing.h>

// amqp_login_with_properties is variadic (its SASL arguments), which Swift
// cannot call. The login announces the client capability
// consumer_cancel_notify (rabbitmq-c does not by itself): only then does the broker tell a
// consumer that its queue was deleted (basic.cancel) instead of leaving it
// waiting forever. rabbitmq-c merges these with its default properties.
static inline amqp_rpc_reply_t tally_amqp_login_plain_notifying_cancel(
    amqp_connection_state_t state, const char *vhost, int channel_max, int frame_max,
    int heartbeat, const char *user, const char *password) {
  amqp_table_entry_t capability;
  capability.key = amqp_cstring_bytes("consumer_cancel_notify");
  capability.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capability.value.value.boolean = 1;
  amqp_table_entry_t property;
  property.key = amqp_cstring_bytes("capabilities");
  property.value.kind = AMQP_FIELD_KIND_TABLE;
  property.value.value.table.num_entries = 1;
  property.value.value.table.entries = &capability;
  amqp_table_t properties;
  properties.num_entries = 1;
  properties.entries = &property;
  return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, &properties,
                                    AMQP_SASL_METHOD_PLAIN, user, password);
}

// Field values are a tagged union; building them in C keeps Swift simple.
static inline amqp_field_value_t tally_field_utf8(amqp_bytes_t bytes) {
  amqp_field_value_t value;
  value.kind = AMQP_FIELD_KIND_UTF8;
  value.value.bytes = bytes;
  return value;
}

static inline amqp_field_value_t tally_field_i64(int64_t number) {
  amqp_field_value_t value;
  value.kind = AMQP_FIELD_KIND_I64;
  value.value.i64 = number;
  return value;
}

// The method ids and property flags are cast/shift macros Swift cannot import.
static const amqp_method_number_t TALLY_METHOD_BASIC_ACK = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t TALLY_METHOD_BASIC_NACK = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t TALLY_METHOD_BASIC_RETURN = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t TALLY_METHOD_BASIC_CANCEL = AMQP_BASIC_CANCEL_METHOD;
static const amqp_method_number_t TALLY_METHOD_BASIC_GET_EMPTY = AMQP_BASIC_GET_EMPTY_METHOD;
static const amqp_method_number_t TALLY_METHOD_CHANNEL_CLOSE = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t TALLY_METHOD_CHANNEL_CLOSE_OK = AMQP_CHANNEL_CLOSE_OK_METHOD;
static const amqp_method_number_t TALLY_METHOD_CONNECTION_CLOSE = AMQP_CONNECTION_CLOSE_METHOD;
static const amqp_method_number_t TALLY_METHOD_CONNECTION_CLOSE_OK = AMQP_CONNECTION_CLOSE_OK_METHOD;
static const amqp_flags_t TALLY_FLAG_CONTENT_TYPE = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const amqp_flags_t TALLY_FLAG_HEADERS = AMQP_BASIC_HEADERS_FLAG;
static const amqp_flags_t TALLY_FLAG_DELIVERY_MODE = AMQP_BASIC_DELIVERY_MODE_FLAG;
static const amqp_flags_t TALLY_FLAG_MESSAGE_ID = AMQP_BASIC_MESSAGE_ID_FLAG;
#endif
