# frozen_string_literal: true

# The tables the models need, in Chatwoot's names (integrations_hooks among them).
ActiveRecord::Schema.define(version: 1) do
  create_table :accounts, force: true do |t|
    t.string :name, null: false
    t.timestamps
  end

  create_table :users, force: true do |t|
    t.string :name
    t.timestamps
  end

  create_table :conversations, force: true do |t|
    t.references :account, null: false
    t.integer :display_id, null: false
    t.integer :status, null: false, default: 0
    t.string :identifier
    t.datetime :agent_last_seen_at
    t.timestamps
  end

  create_table :messages, force: true do |t|
    t.references :account, null: false
    t.references :conversation, null: false
    t.references :sender, polymorphic: true
    t.text :content
    t.integer :message_type, null: false, default: 0
    t.integer :status, null: false, default: 0
    t.boolean :private, null: false, default: false
    t.json :content_attributes
    t.text :external_error
    t.timestamps
  end

  create_table :webhooks, force: true do |t|
    t.references :account, null: false
    t.string :url, null: false
    t.string :secret
    t.integer :webhook_type, null: false, default: 0
    t.json :subscriptions
    t.timestamps
  end

  create_table :integrations_hooks, force: true do |t|
    t.references :account, null: false
    t.string :app_id, null: false
    t.integer :status, null: false, default: 1
    t.integer :hook_type, null: false, default: 0
    t.json :settings
    t.string :access_token
    t.string :reference_id
    t.references :inbox
    t.timestamps
  end
end
