# Renders the ERB templates of one BOSH job with the evaluation context the
# BOSH director gives templates (p, if_p, spec, link, if_link), so that what
# passes here renders the same under a real director.
#
# Protocol (one process per job):
#   stdin:  {"job": "<job>", "spec": <template spec hash>,
#            "templates": [{"source", "destination", "content": <base64>}]}
#   stdout: {"rendered": {"<destination>": <base64>},
#            "errors": [{"source", "line", "message"}]}
# Content travels as base64 so templates and results stay byte-exact.
require 'erb'
require 'json'
require 'ostruct'
require 'yaml'
require 'shellwords'

# What ActiveSupport's core_ext/object/blank gives the director's templates
# (blank?, present?, presence), written out here: the gem is not installed.
class Object
  def blank?
    respond_to?(:empty?) ? !!empty? : !self
  end

  def present?
    !blank?
  end

  def presence
    self if present?
  end
end

class NilClass
  def blank?
    true
  end
end

class FalseClass
  def blank?
    true
  end
end

class TrueClass
  def blank?
    false
  end
end

class String
  def blank?
    /\A[[:space:]]*\z/.match?(self)
  end
end

class Numeric
  def blank?
    false
  end
end

module BoshTemplate
  # BOSH prints the names as an inspected Array even for a single name:
  # Can't find property '["etcd.ca_cert"]'
  class UnknownProperty < StandardError
    def initialize(names)
      super("Can't find property '#{names.inspect}'")
    end
  end

  class UnknownLink < StandardError
    def initialize(name)
      super("Can't find link '#{name}'")
    end
  end

  # Property access shared by the template context and links.
  module PropertyLookup
    def lookup_property(collection, name)
      name.to_s.split('.').reduce(collection) do |ref, key|
        return nil unless ref.is_a?(Hash)
        ref[key]
      end
    end

    def p(*args)
      names = Array(args[0])
      names.each do |name|
        value = lookup_property(properties_hash, name)
        return value unless value.nil?
      end
      return args[1] if args.length == 2
      raise UnknownProperty.new(names)
    end

    def if_p(*names)
      values = names.map do |name|
        value = lookup_property(properties_hash, name)
        return ActiveElseBlock.new(self) if value.nil?
        value
      end
      yield(*values)
      InactiveElseBlock.new
    end
  end

  # Returned when the condition did not hold: the next branch may run.
  class ActiveElseBlock
    def initialize(owner)
      @owner = owner
    end

    def else
      yield
    end

    def else_if_p(*names, &block)
      @owner.if_p(*names, &block)
    end

    def else_if_link(name, &block)
      @owner.if_link(name, &block)
    end
  end

  # Returned when a branch already ran: later branches are skipped.
  class InactiveElseBlock
    def else; end

    def else_if_p(*_names)
      InactiveElseBlock.new
    end

    def else_if_link(_name)
      InactiveElseBlock.new
    end
  end

  class LinkInstance
    attr_reader :name, :index, :id, :az, :address, :bootstrap

    def initialize(hash)
      @name = hash['name']
      @index = hash['index']
      @id = hash['id']
      @az = hash['az']
      @address = hash['address']
      @bootstrap = hash['bootstrap']
    end
  end

  class Link
    include PropertyLookup
    attr_reader :instances, :properties

    def initialize(name, hash)
      @name = name
      @instances = (hash['instances'] || []).map { |i| LinkInstance.new(i) }
      @properties = hash['properties'] || {}
      @address = hash['address']
      @az_indexes = hash['az_indexes'] || {}
    end

    # The director computes the group address (q-s0.<group>.<network>.<deployment>.<domain>);
    # criteria change its query as the director's DnsEncoder encodes them: azs: [...] adds
    # the AZs' indexes (a<N>), status: the health filter (default s0, healthy s3,
    # unhealthy s1, all s4), initial_health_check: y1 (synchronous) or y0, the parts sorted
    # (q-a1a2s0...).
    HEALTH_FILTERS = { 'healthy' => 3, 'unhealthy' => 1, 'all' => 4, 'default' => 0 }.freeze

    def address(criteria = {})
      raise "link '#{@name}' has no address: the director did not provide one" if @address.nil? || @address.empty?
      return @address if criteria.nil? || criteria.empty?
      criteria = criteria.transform_keys(&:to_sym)
      queries = Array(criteria[:azs]).map do |az|
        index = @az_indexes[az.to_s]
        raise "Unknown AZ: '#{az}'" if index.nil?
        "a#{index}"
      end
      case criteria[:initial_health_check]
      when 'synchronous' then queries << 'y1'
      when 'asynchronous' then queries << 'y0'
      end
      queries << "s#{HEALTH_FILTERS.fetch(criteria[:status], 0)}"
      @address.sub(/\Aq-s0\./, "q-#{queries.sort.join}.")
    end

    # Ruby error messages embed inspect; keep property values (secrets) out.
    def inspect
      "#<#{self.class.name} #{@name}>"
    end

    # A link holds no links of its own.
    def if_link(_name)
      InactiveElseBlock.new
    end

    private

    def properties_hash
      @properties
    end
  end

  # Like OpenStruct, but methods(false) lists the keys, which templates use
  # to enumerate spec.networks.
  class SpecStruct < OpenStruct
    def methods(regular = true)
      regular ? super : to_h.keys.map(&:to_sym)
    end
  end

  class EvaluationContext
    include PropertyLookup
    attr_reader :name, :index, :properties, :raw_properties, :spec

    def initialize(spec)
      @name = spec['job'].is_a?(Hash) ? spec['job']['name'] : nil
      @index = spec['index']
      @spec = to_struct(spec, SpecStruct)
      @raw_properties = spec['properties'] || {}
      @properties = to_struct(@raw_properties, OpenStruct)
      @links = spec['links'] || {}
    end

    # Ruby error messages embed inspect; keep property values (secrets) out.
    def inspect
      "#<#{self.class.name}>"
    end

    # Evaluated inside instance_eval so that methods a template defines land
    # on this context object only, not on every later template.
    def get_binding
      instance_eval { binding }
    end

    def link(name)
      link_spec = @links[name]
      raise UnknownLink.new(name) unless link_spec.is_a?(Hash) && link_spec.key?('instances')
      Link.new(name, link_spec)
    end

    def if_link(name)
      link_spec = @links[name]
      return ActiveElseBlock.new(self) unless link_spec.is_a?(Hash) && link_spec.key?('instances')
      yield Link.new(name, link_spec)
      InactiveElseBlock.new
    end

    private

    def properties_hash
      @raw_properties
    end

    def to_struct(object, klass)
      case object
      when Hash then klass.new(object.transform_values { |v| to_struct(v, klass) })
      when Array then object.map { |item| to_struct(item, klass) }
      else object
      end
    end
  end

  # Renders every template of a request; collects one error per failing template.
  class JobRenderer
    def initialize(request)
      @job = request.fetch('job')
      @spec = request.fetch('spec')
      @templates = request.fetch('templates')
    end

    def render
      rendered = {}
      errors = []
      @templates.each do |template|
        source = template.fetch('source')
        filename = File.join(@job, source)
        begin
          text = template.fetch('content').unpack1('m0').force_encoding(Encoding::UTF_8)
          erb = ERB.new(text, trim_mode: '-')
          erb.filename = filename
          # A fresh context per template, as the director deep-copies it, so
          # one template cannot change what the next one sees.
          context = EvaluationContext.new(Marshal.load(Marshal.dump(@spec)))
          rendered[template.fetch('destination')] = [erb.result(context.get_binding)].pack('m0')
        rescue Exception => e # rubocop:disable Lint/RescueException -- templates may raise anything, as under BOSH
          errors << describe(e, filename, source)
        end
      end
      { 'rendered' => rendered, 'errors' => errors }
    end

    private

    def describe(error, filename, source)
      prefix = /\A#{Regexp.escape(filename)}:(\d+):\s*(.*)\z/
      if error.is_a?(SyntaxError)
        # A syntax error has no template frame in its backtrace; its message
        # names the line instead ("<file>:<line>: syntax error, ...").
        found = error.message.lines.map { |l| prefix.match(l.chomp) }.compact
        unless found.empty?
          return entry(source, found.first[1].to_i, found.map { |m| m[2] }.join('; '))
        end
      end
      frame = (error.backtrace || []).find { |l| l.start_with?("#{filename}:") }
      line = frame ? frame.delete_prefix("#{filename}:").to_i : 0
      entry(source, line, error.message)
    end

    def entry(source, line, message)
      { 'source' => source, 'line' => line, 'message' => message.to_s.scrub }
    end
  end
end

# Anything a template prints must not corrupt the reply, so stdout goes to stderr
# and the reply uses a copy of the original stdout.
reply = $stdout.dup
$stdout.reopen($stderr)
request = JSON.parse($stdin.binmode.read.force_encoding(Encoding::UTF_8))
reply.write(JSON.generate(BoshTemplate::JobRenderer.new(request).render))
reply.flush
